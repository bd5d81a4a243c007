# The action's image. The runner builds it on every job (runs.image: Dockerfile) and runs it as
# root with the workspace mounted at /github/workspace: hence no USER line (it would lose access
# to the workspace and the file commands).

# The official image, pinned by its multi-arch index digest (that of python:3.13.15-slim-trixie,
# found in public Dockerfiles; Dependabot's docker updates move tag and digest together).
# The zip's bytes depend on the compressor's build, so both compressors are pinned: libdeflate
# (files up to 32 MiB) comes inside the `deflate` wheel whose hash requirements.lock holds, and
# zlib (larger files, streamed) is the base's libz (Debian trixie's zlib1g 1.3.1), which Python's
# zlib module links: every copy of this image gives the same package_md5 for the same tree.
# A new base may bring another zlib, and other bytes for files over 32 MiB.
# Tests build against a stand-in (scripts/container.sh) by overriding BASE_IMAGE.
ARG BASE_IMAGE=python:3.13.15-slim-trixie@sha256:ffb752e139c0a19692a43af8d8523b274222dd68eebad5d583b45c2201c6e30a

# Stage 1: the project's wheel, built with the hash-pinned setuptools of requirements-build.lock
# (not whatever build isolation would fetch); nothing of this stage reaches the image but the wheel.
FROM ${BASE_IMAGE} AS wheel
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
COPY requirements-build.lock /build/
RUN pip install --quiet --require-hashes --no-deps -r /build/requirements-build.lock
COPY pyproject.toml README.md /build/
COPY src/ /build/src/
RUN pip wheel --quiet --no-deps --no-build-isolation --wheel-dir /wheels /build

# Stage 2: the image.
FROM ${BASE_IMAGE}
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Runtime dependencies, exactly as locked (bash scripts/lock.sh), from wheels only: nothing is
# compiled here, and libdeflate is the very build that the wheel's hash names.
# requirements.lock leaves out PyGithub and what it pulls in (cryptography, PyNaCl, PyJWT, cffi;
# 27 MB, which would break the 60 MB budget of issue 27): actions-toolkit needs it only for
# actions_toolkit.github, while the action imports actions_toolkit.core, whose own imports
# (command, file_command, oidc_utils, utils) need only requests. Hence --no-deps: the lock is
# installed as it is. The wheel's stray top-level `tests` package goes too. pip compiles every
# module to .pyc here, so a cold start compiles nothing. uv's wheel (the installer behind
# 'requirements', a 38 MB binary for this architecture) also brings uvx and an SBOM, which the
# action never uses.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --quiet --require-hashes --no-deps --only-binary=:all: -r /tmp/requirements.lock \
    && site="$(python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" \
    && rm -rf /tmp/requirements.lock "$site/tests" "$site"/uv-*.dist-info/sboms /usr/local/bin/uvx

COPY --from=wheel /wheels/ /tmp/wheels/
RUN pip install --quiet --no-deps /tmp/wheels/*.whl && rm -rf /tmp/wheels

# -I: neither the working directory (the workspace, /github/workspace) nor PYTHON* variables
# from the job's env (PYTHONPATH: src is common) may put modules ahead of the action's own.
# -I also ignores the two ENV settings above, so -u and -B say the same for the action; the ENV
# lines still serve pip above and any `--entrypoint python` debugging.
ENTRYPOINT ["/usr/local/bin/python", "-I", "-u", "-B", "-m", "fgs_dependency"]
