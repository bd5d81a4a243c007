"""Stages 4 and 5, publishing and what follows: the route and the create-version call
(publish), attaching the version to functions (functions), retiring old versions
(retention), and the two together (rollout).

May import: errors, github, inputs, packaging, huaweicloud.
"""
