"""Translate template.yaml as CloudFormation would for given parameter values; print the result.

Run with the SAM CLI's interpreter (.tools/sam/bin/python: it has samtranslator):
``python sam_translate.py template.yaml '{"SnapStart": "On"}'``. What CloudFormation does before
SAM is done here by hand: AWS::LanguageExtensions resolves the Fn::If of parameter conditions,
and the local code paths become S3 URIs as `sam deploy` would upload them.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


def _condition(name: str, template: dict[str, Any], values: dict[str, Any]) -> bool:
    return _truth(template["Conditions"][name], template, values)


def _truth(expression: dict[str, Any], template: dict[str, Any], values: dict[str, Any]) -> bool:
    (op, args), *_ = expression.items()
    if op == "Fn::Equals":
        left, right = (_value(a, template, values) for a in args)
        return str(left) == str(right)
    if op == "Fn::Not":
        return not _truth(args[0], template, values)
    if op == "Fn::And":
        return all(_truth(a, template, values) for a in args)
    if op == "Fn::Or":
        return any(_truth(a, template, values) for a in args)
    if op == "Condition":
        return _condition(args, template, values)
    raise ValueError(f"unsupported condition {op}")


def _value(node: Any, template: dict[str, Any], values: dict[str, Any]) -> Any:
    if isinstance(node, dict) and set(node) == {"Ref"} and node["Ref"] in template.get("Parameters", {}):
        return values.get(node["Ref"], template["Parameters"][node["Ref"]].get("Default"))
    return node


def _resolve(node: Any, template: dict[str, Any], values: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            name, yes, no = node["Fn::If"]
            return _resolve(yes if _condition(name, template, values) else no, template, values)
        return {k: _resolve(v, template, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, template, values) for v in node]
    return node


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def main() -> None:
    with open(sys.argv[1]) as file:
        template = yaml_parse(file.read())
    values = json.loads(sys.argv[2])
    template["Transform"] = "AWS::Serverless-2016-10-31"
    template["Globals"] = _resolve(template["Globals"], template, values)
    for resource in template["Resources"].values():
        resource["Properties"] = _resolve(resource.get("Properties", {}), template, values)
        for key in ("CodeUri", "ContentUri"):
            if key in resource["Properties"]:
                resource["Properties"][key] = "s3://bucket/code.zip"
    print(json.dumps(transform(template, values, _NoManagedPolicies()), default=str))


if __name__ == "__main__":
    main()
