"""A capability's ``skill`` exposes blocks -> the skills catalog documents (pure).

Skills are metadata: each skill lists tools derived from a sibling ``mcp`` or ``rest`` block (an
``invocationRef`` saying where to call them) or given as instructions. The REST function serves
``GET /{capability}/skills`` (the catalog) and ``GET /{capability}/skills/{name}`` (one skill),
in the shapes the reference engine serves.
"""

from __future__ import annotations

from typing import Any

from ...capability.model import Capability, Skill, SkillTool


def catalog(capability: Capability) -> dict[str, Any]:
    skills = [_summary(skill) for block in capability.skills for skill in block.skills]
    return {"count": len(skills), "skills": skills}


def detail(capability: Capability, name: str) -> dict[str, Any] | None:
    for block in capability.skills:
        for skill in block.skills:
            if skill.name == name:
                return {
                    "name": skill.name,
                    "description": skill.description,
                    **dict(skill.metadata),
                    "tools": [_tool(tool) for tool in skill.tools],
                }
    return None


def _summary(skill: Skill) -> dict[str, Any]:
    out: dict[str, Any] = {"name": skill.name, "description": skill.description}
    if "license" in skill.metadata:
        out["license"] = skill.metadata["license"]
    out["tools"] = [tool.name for tool in skill.tools]
    return out


def _tool(tool: SkillTool) -> dict[str, Any]:
    if tool.instruction is not None:
        return {
            "name": tool.name,
            "description": tool.description,
            "type": "instruction",
            "instruction": tool.instruction,
        }
    return {
        "name": tool.name,
        "description": tool.description,
        "type": "derived",
        "invocationRef": {"targetNamespace": tool.source, "action": tool.action, "mode": tool.mode},
    }
