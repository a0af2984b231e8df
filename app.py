"""CDK app entry point (`cdk synth`, `cdk deploy`): the stacks of ``stacks.system`` with
the settings of the `cdk.json` context (``stacks.settings`` lists them)."""

# isort: off
import stacks  # noqa: F401 - first: points jsii at the pinned Node.js before aws_cdk loads
import aws_cdk as cdk

# isort: on

from stacks.settings import DeploymentSettings
from stacks.system import build_system

app = cdk.App()
build_system(app, DeploymentSettings.from_context(app.node.try_get_context))
app.synth()
