"""Print the environment `sam local invoke <function> --env-vars <file>` gives a function.

Run with the SAM CLI's interpreter (.tools/sam/bin/python): SAM's own code resolves the
template's variables (parameter defaults, logical ids for resources) and applies the env file's
entries for that function, which it honours only for variables the template declares.
"""

from __future__ import annotations

import json
import sys

from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
from samcli.local.lambdafn.env_vars import EnvironmentVariables


def main() -> None:
    template, function_name, env_file = sys.argv[1:4]
    stacks, _ = SamLocalStackProvider.get_stacks(template)
    function = SamFunctionProvider(stacks).get(function_name)
    with open(env_file) as file:
        overrides = json.load(file)
    variables = EnvironmentVariables(
        function.name,
        function.memory,
        function.timeout,
        function.handler,
        variables=(function.environment or {}).get("Variables"),
        override_values={**overrides.get("Parameters", {}), **overrides.get(function_name, {})},
    )
    print(json.dumps(variables.resolve()))


if __name__ == "__main__":
    main()
