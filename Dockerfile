# pgstage in a container, for CI jobs (nothing to install on the runner):
#   scripts/package.sh
#   docker build -t pgstage --build-arg DEB=build-release/pgstage_0.1.0-1_amd64.deb .   # .dockerignore: only the .deb is sent
#   docker run --rm -v "$PWD/db/migrations:/m" pgstage lint /m
# scripts/build-image.sh builds the same image without a registry (BASE = a debootstrap image).
# git is included so that `lint --since REF` works on a mounted checkout.
ARG BASE=debian:12-slim
FROM ${BASE}
ARG DEB
COPY ${DEB} /tmp/pgstage.deb
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /tmp/pgstage.deb git ca-certificates \
 && rm -rf /var/lib/apt/lists/* /tmp/pgstage.deb \
 && git config --system --add safe.directory '*'
WORKDIR /work
ENTRYPOINT ["pgstage"]
CMD ["--help"]
