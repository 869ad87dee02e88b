"""Background task that builds, checks and publishes the 360Giving files.

The task kind ``threesixty.publish`` is registered by grants.services.threesixty, next to the
rules that build and check the files: the workflow engine imports the job registry, so a job
module here that imported a service would make the lower layer depend on the upper one.
"""

from __future__ import annotations
