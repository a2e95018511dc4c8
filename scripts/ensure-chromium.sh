#!/usr/bin/env bash
# Install Debian's chromium for the browser test when it is missing and we may install it.
# The browser test skips with a clear reason only when this truly cannot be done.
set -u
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser test..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null && exit 0
  echo "warning: apt-get could not install chromium; the browser test will skip" >&2
else
  echo "note: chromium is not installed and this user cannot apt-get it; the browser test will skip" >&2
fi
exit 0
