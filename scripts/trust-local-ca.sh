#!/usr/bin/env bash
# Makes this machine trust the Fawkes local CA (fawkes-local stack), so https://<component>.localtest.me
# opens without certificate warnings in browsers, curl, git...
#   usage: scripts/trust-local-ca.sh [kube-context]      (default: kind-fawkes)
#          scripts/trust-local-ca.sh --remove             (forget a CA trusted before, e.g. after recreating the cluster)
# Only the CA's certificate leaves the cluster (secret tls/fawkes-ca, key ca.crt), never its key.
# Needs sudo on macOS and Linux. Windows (PowerShell): see the README's "Trust the local CA".
set -euo pipefail
name="Fawkes local CA"
file="fawkes-ca.crt"

remove() {
  case "$(uname -s)" in
    Darwin) sudo security delete-certificate -c "$name" /Library/Keychains/System.keychain ;;
    Linux)
      if [ -d /usr/local/share/ca-certificates ] && command -v update-ca-certificates >/dev/null; then
        sudo rm -f /usr/local/share/ca-certificates/fawkes-ca.crt && sudo update-ca-certificates --fresh
      elif command -v update-ca-trust >/dev/null; then
        sudo rm -f /etc/pki/ca-trust/source/anchors/fawkes-ca.crt && sudo update-ca-trust extract
      else echo "trust-local-ca: remove $file from your system's trust store by hand" >&2; exit 1; fi ;;
    MINGW* | MSYS* | CYGWIN*) certutil.exe -user -delstore Root "$name" ;;
    *) echo "trust-local-ca: unsupported system $(uname -s)" >&2; exit 1 ;;
  esac
}

if [ "${1:-}" = "--remove" ]; then remove; echo "removed: $name"; exit 0; fi
context="${1:-kind-fawkes}"
command -v kubectl >/dev/null || { echo "trust-local-ca: kubectl is required" >&2; exit 1; }
kubectl --context "$context" -n tls get secret fawkes-ca -o jsonpath='{.data.ca\.crt}' | base64 --decode >"$file"
[ -s "$file" ] || { echo "trust-local-ca: secret tls/fawkes-ca has no ca.crt yet in context $context (is fawkes-local deployed?)" >&2; exit 1; }
if command -v openssl >/dev/null; then openssl x509 -in "$file" -noout -subject -enddate -fingerprint -sha256; fi

case "$(uname -s)" in
  Darwin) sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain "$file" ;;
  Linux)
    if [ -d /usr/local/share/ca-certificates ] && command -v update-ca-certificates >/dev/null; then
      # Debian, Ubuntu, Alpine, openSUSE
      sudo cp "$file" /usr/local/share/ca-certificates/fawkes-ca.crt && sudo update-ca-certificates
    elif command -v update-ca-trust >/dev/null; then
      # Fedora, RHEL, Arch
      sudo cp "$file" /etc/pki/ca-trust/source/anchors/fawkes-ca.crt && sudo update-ca-trust extract
    else
      echo "trust-local-ca: no update-ca-certificates or update-ca-trust here: add $file to your system's trust store by hand" >&2
      exit 1
    fi ;;
  # Git Bash / MSYS on Windows: the current user's root store (Windows asks to confirm).
  MINGW* | MSYS* | CYGWIN*) certutil.exe -user -addstore Root "$file" ;;
  *) echo "trust-local-ca: unsupported system $(uname -s): trust $file by hand" >&2; exit 1 ;;
esac
echo "trusted: $name ($file)."
echo "Firefox keeps its own store: import $file under Settings > Privacy & Security > View Certificates > Authorities."
echo "Node.js tools read NODE_EXTRA_CA_CERTS=$PWD/$file; restart browsers to pick the CA up."
