"""Publish a dependency version to Huawei Cloud FunctionGraph from a GitHub workflow."""
