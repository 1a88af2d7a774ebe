#!/bin/bash
# assemble-rootfs.sh DEST PATH...: copy host files into DEST at the same paths, for a FROM-scratch
# image. An ELF file brings its ldd closure (shared libraries and the dynamic loader); a directory
# is copied whole, with the closure of every ELF file in it; other files are copied as they are.
# Symbolic links are kept as links and their targets copied too, and so are symlinked parent
# directories (/lib -> usr/lib on merged-/usr systems), so every path the loader asks for resolves.
#
# Modules loaded with dlopen (libvirt's connection drivers) are not in ldd's output: name them,
# or their directory, as PATH arguments.
set -eu

usage() {
	echo "usage: $0 DEST PATH..." >&2
	exit 2
}

# copy_link LINK: the same link under DEST; an absolute target is made relative, so that
# nothing written through the link while assembling can land outside DEST.
copy_link() {
	local target
	target=$(readlink "$1")
	case $target in
	/*) target=$(realpath -s -m --relative-to="$(dirname "$1")" "$target") ;;
	esac
	ln -s "$target" "$DEST$1"
}

# ensure_dir DIR: DIR exists under DEST, as a link if it is one on the host.
ensure_dir() {
	local dir=$1
	[ "$dir" = / ] && return 0
	# The parent first: it may be a link that already brings DIR with it.
	ensure_dir "$(dirname "$dir")"
	[ -e "$DEST$dir" ] || [ -L "$DEST$dir" ] && return 0
	if [ -L "$dir" ]; then
		copy_link "$dir"
		ensure_dir "$(readlink -f "$dir")"
	else
		mkdir "$DEST$dir"
	fi
}

is_elf() {
	[ -f "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]
}

# libs_of FILE: absolute paths of the libraries FILE needs, loader included.
libs_of() {
	ldd "$1" 2>/dev/null | awk -v file="$1" '
		$2 == "=>" && $3 == "not" { print file ": " $1 " not found" > "/dev/stderr" }
		$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\// { print $1 }'
}

# copy PATH: PATH and what it needs, once.
copy() {
	local path=$1 lib
	[ -n "${done_paths[$path]:-}" ] && return 0
	done_paths[$path]=1
	[ -e "$path" ] || { echo "$0: $path: no such file" >&2; return 1; }
	ensure_dir "$(dirname "$path")"
	if [ -L "$path" ]; then
		[ -L "$DEST$path" ] || copy_link "$path"
		copy "$(readlink -f "$path")"
	elif [ -d "$path" ]; then
		ensure_dir "$path"
		local entry
		for entry in "$path"/* "$path"/.[!.]*; do
			[ -e "$entry" ] || [ -L "$entry" ] || continue
			copy "$entry"
		done
	else
		cp -p "$path" "$DEST$path"
		if is_elf "$path"; then
			for lib in $(libs_of "$path"); do
				copy "$lib"
			done
		fi
	fi
}

[ $# -ge 2 ] || usage
DEST=$(realpath -m "$1")
shift
mkdir -p "$DEST"
declare -A done_paths
for arg in "$@"; do
	case $arg in
	/*) copy "$arg" ;;
	*) echo "$0: $arg: give an absolute path" >&2; exit 2 ;;
	esac
done
