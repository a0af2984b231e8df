"""CDK app entry point: composes one stack per concern (see stacks/README.md).

The stacks arrive with the infrastructure issue; until then `cdk synth` has nothing to
synthesise and says so instead of failing obscurely.
"""

import sys

if __name__ == "__main__":
    sys.exit("No stacks yet: the CDK stacks are defined in stacks/ by the infrastructure work.")
