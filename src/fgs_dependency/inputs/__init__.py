"""Stage 1, inputs: the `INPUT_*` variables read, checked one by one (rules) and together
(combinations), into one frozen Inputs; the named choices and the function URN forms.

May import: errors, github.
"""
