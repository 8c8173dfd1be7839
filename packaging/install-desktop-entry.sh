#!/usr/bin/env bash
# Put photofind in the desktop's app menu for the current user (no root needed), or take it out.
#
#   packaging/install-desktop-entry.sh [EXECUTABLE]   # install; EXECUTABLE is what the entry starts
#   packaging/install-desktop-entry.sh --uninstall    # remove what install put there
#
# EXECUTABLE defaults to the built bundle (dist/photofind/photofind) when there is one, else the
# source checkout's .venv/bin/photofind, else `photofind` on PATH. The script works from a source
# checkout and from inside the bundle (build.sh copies it to dist/photofind/).
#
# Installs, under ${XDG_DATA_HOME:-~/.local/share}:
#   applications/io.github.photofind.Photofind.desktop   (Exec= the executable's absolute path)
#   icons/hicolor/NxN/apps/io.github.photofind.Photofind.png and scalable/apps/...svg
#   metainfo/io.github.photofind.Photofind.metainfo.xml
# then refreshes the desktop and icon caches where their tools are installed.
set -euo pipefail

APP_ID="io.github.photofind.Photofind"
SIZES=(16 32 48 64 128 256 512)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
apps_dir="$data_home/applications"
icons_dir="$data_home/icons/hicolor"
metainfo_dir="$data_home/metainfo"

die() {
  echo "install-desktop-entry: $*" >&2
  exit 2
}

# The first of the given paths that exists.
first_existing() {
  local path
  for path in "$@"; do
    if [ -e "$path" ]; then
      echo "$path"
      return 0
    fi
  done
  return 1
}

# The first of the given paths that is an executable file.
first_executable() {
  local path
  for path in "$@"; do
    if [ -n "$path" ] && [ -f "$path" ] && [ -x "$path" ]; then
      echo "$path"
      return 0
    fi
  done
  return 1
}

refresh_caches() {
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$apps_dir" || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$icons_dir/index.theme" ]; then
    gtk-update-icon-cache -q -t "$icons_dir" || true
  else
    # Without a cache (no index.theme in a user's hicolor folder), desktops scan the folder;
    # touching it tells those that watch the time stamp to look again.
    touch "$icons_dir" 2>/dev/null || true
  fi
}

uninstall() {
  rm -f "$apps_dir/$APP_ID.desktop" "$metainfo_dir/$APP_ID.metainfo.xml" \
    "$icons_dir/scalable/apps/$APP_ID.svg"
  local size
  for size in "${SIZES[@]}"; do
    rm -f "$icons_dir/${size}x${size}/apps/$APP_ID.png"
  done
  [ -d "$apps_dir" ] && [ -d "$icons_dir" ] && refresh_caches
  echo "Removed photofind from the app menu."
}

# A path as one argument of a desktop entry's Exec key: quoted, and refused where it holds a
# character that would need the spec's layered escaping (rare in an install path).
exec_argument() {
  local path="$1"
  case "$path" in
    *[\"\`\$\\%]* | *$'\n'*)
      die "the path $path has a character (\" \` \$ \\ % or newline) a desktop entry cannot hold; move it"
      ;;
  esac
  case "$path" in
    *[[:space:]\'\>\<\~\|\&\;\*\?\#\(\)]*) printf '"%s"' "$path" ;;
    *) printf '%s' "$path" ;;
  esac
}

install_entry() {
  local exe="${1:-}"
  if [ -z "$exe" ]; then
    exe="$(first_executable "$here/photofind" "$here/../dist/photofind/photofind" \
      "$here/../.venv/bin/photofind" "$(command -v photofind || true)")" ||
      die "no photofind executable found: build it (packaging/build.sh) or name it"
  fi
  if [ ! -f "$exe" ] || [ ! -x "$exe" ]; then
    die "$exe is not an executable file"
  fi
  exe="$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")"
  local arg
  arg="$(exec_argument "$exe")"

  local desktop icons metainfo
  desktop="$(first_existing "$here/../resources/$APP_ID.desktop" \
    "$here/_internal/resources/$APP_ID.desktop")" || die "$APP_ID.desktop not found near $here"
  metainfo="$(dirname "$desktop")/$APP_ID.metainfo.xml"
  icons="$(first_existing "$here/../photofind/resources/icons" \
    "$here/_internal/photofind/resources/icons")" || die "the icon folder was not found near $here"

  mkdir -p "$apps_dir" "$icons_dir/scalable/apps" "$metainfo_dir"
  local size
  for size in "${SIZES[@]}"; do
    mkdir -p "$icons_dir/${size}x${size}/apps"
    cp "$icons/photofind-$size.png" "$icons_dir/${size}x${size}/apps/$APP_ID.png"
  done
  cp "$icons/photofind.svg" "$icons_dir/scalable/apps/$APP_ID.svg"
  [ -f "$metainfo" ] && cp "$metainfo" "$metainfo_dir/$APP_ID.metainfo.xml"

  # The entry with Exec (an argument, quoted where needed) and TryExec (a plain path: the menu
  # hides the entry once the executable is gone) naming the executable.
  local tmp_dir entry
  tmp_dir="$(mktemp -d)"
  entry="$tmp_dir/$APP_ID.desktop"
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      Exec=*) printf 'Exec=%s\nTryExec=%s\n' "$arg" "$exe" ;;
      TryExec=*) ;;
      *) printf '%s\n' "$line" ;;
    esac
  done <"$desktop" >"$entry"
  if command -v desktop-file-validate >/dev/null 2>&1 && ! desktop-file-validate "$entry"; then
    rm -rf "$tmp_dir"
    die "the entry for $exe does not validate"
  fi
  chmod 644 "$entry"
  mv -f "$entry" "$apps_dir/$APP_ID.desktop"
  rm -rf "$tmp_dir"
  refresh_caches
  echo "Installed photofind in the app menu: $apps_dir/$APP_ID.desktop starts $exe"
}

case "${1:-}" in
  --uninstall) uninstall ;;
  -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" ;;
  -*) die "unknown option $1 (see --help)" ;;
  *) install_entry "${1:-}" ;;
esac
