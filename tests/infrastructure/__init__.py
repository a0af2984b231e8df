"""The CDK app's tests. ``stacks`` is imported first so that jsii, started by the first
``aws_cdk`` import, runs on the pinned Node.js (see ``stacks/__init__.py``)."""

import stacks  # noqa: F401
