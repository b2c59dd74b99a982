#!/bin/sh
# Builds a small OCI image archive (a tar of an OCI image layout) without Docker, for the image-function tests.
# Its rootfs holds a static busybox and /var/task/bootstrap, a shell loop that speaks the Lambda Runtime API with
# busybox wget. Needs umoci and busybox-static (Debian packages of the same names).
#
# Usage: build-test-image.sh OUTPUT.tar [TAG]
#   The answer of every invocation names /etc/ferry-image-release (a file only the image has), $GREETING (from the
#   image's Env) and the request id; the loop prints "image handling REQUEST_ID" for each event.
set -eu

out=${1:?usage: build-test-image.sh OUTPUT.tar [TAG]}
tag=${2:-latest}
command -v umoci >/dev/null 2>&1 || { echo "build-test-image: umoci is missing (apt-get install umoci)" >&2; exit 2; }
busybox=$(command -v busybox || true)
if [ -z "$busybox" ] || ! "$busybox" wget --help >/dev/null 2>&1; then
  echo "build-test-image: a busybox with wget is missing (apt-get install busybox-static)" >&2
  exit 2
fi
busybox=$(readlink -f "$busybox")
if ldd "$busybox" >/dev/null 2>&1; then
  echo "build-test-image: $busybox is dynamically linked; the image needs busybox-static" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
layout="$work/layout"
bundle="$work/bundle"

umoci init --layout "$layout"
umoci new --image "$layout:$tag"
umoci unpack --rootless --image "$layout:$tag" "$bundle"
rootfs="$bundle/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/var/task"
cp "$busybox" "$rootfs/bin/busybox"
for applet in sh cat sed wget echo rm sleep tr; do
  ln -s busybox "$rootfs/bin/$applet"
done
echo "ferry-test-image 1" > "$rootfs/etc/ferry-image-release"

cat > "$rootfs/var/task/bootstrap" <<'LOOP'
#!/bin/sh
# A Lambda custom runtime in busybox sh: fetch an event, answer it, forever.
api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation"
release=$(cat /etc/ferry-image-release)
while true; do
  if ! wget -q -S -O /tmp/event "$api/next" 2> /tmp/headers; then
    sleep 1
    continue
  fi
  id=$(tr -d '\r' < /tmp/headers | sed -n 's/^ *[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *//p')
  echo "image handling $id"
  printf '{"statusCode":200,"headers":{"content-type":"text/plain"},"body":"%s; greeting=%s; mode=%s; cwd=%s"}' \
    "$release" "$GREETING" "$1" "$(pwd)" > /tmp/answer
  wget -q -O /dev/null --post-file=/tmp/answer "$api/$id/response" || echo "could not post the answer of $id" >&2
done
LOOP
chmod 0755 "$rootfs/var/task/bootstrap"

umoci repack --image "$layout:$tag" "$bundle"
umoci config --image "$layout:$tag" \
  --config.entrypoint /var/task/bootstrap --config.cmd from-cmd \
  --config.env GREETING=hello-from-image-env --config.env PATH=/bin \
  --config.workingdir /var/task
umoci gc --layout "$layout"

mkdir -p "$(dirname "$out")"
tar -C "$layout" -cf "$out" .
