#!/bin/bash
# assemble-rootfs.sh DEST PATH...: copy host files into DEST at the same paths, for a FROM-scratch
# image. An ELF file brings its ldd closure (shared libraries and the dynamic loader); a directory
# is copied whole, with the closure of every ELF file in it; other files are copied as they are.
# Symbolic links are kept as links and their targets copied too, and so are symlinked parent
# directories (/lib -> usr/lib on merged-/usr systems), so every path the loader asks for resolves.
#
# Modules loaded with dlopen (libvirt's connection drivers) are not in ldd's output: name them,
# or their directory, as PATH arguments.
#
# With SYSROOT set (another architecture's Debian tree, images/sysroot.sh), PATH names a file of
# that tree, copied to the same path in DEST, and an ELF file's closure is read from its own
# headers (its interpreter and its NEEDED libraries, found in the tree's library folders) instead
# of ldd, which cannot run another architecture's loader. A library not found there is an error.
set -eu
S=${SYSROOT:-}
# The tree's multiarch folder name (aarch64-linux-gnu): a Debian tree has one.
triplet=
[ -z "$S" ] || triplet=$(cd "$S/usr/lib" && ls -d ./*-linux-gnu* | head -n 1)
triplet=${triplet#./}

usage() {
	echo "usage: $0 DEST PATH..." >&2
	exit 2
}

# copy_link LINK: the same link under DEST; an absolute target is made relative, so that
# nothing written through the link while assembling can land outside DEST.
copy_link() {
	local target
	target=$(readlink "$S$1")
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
	if [ -L "$S$dir" ]; then
		copy_link "$dir"
		ensure_dir "$(resolve "$dir")"
	else
		mkdir "$DEST$dir"
	fi
}

# resolve PATH: PATH with every link followed, in the tree it names (the host's, or SYSROOT's:
# an absolute link target there is taken inside SYSROOT).
resolve() {
	local path=$1 target n=0
	[ -z "$S" ] && { readlink -f "$path"; return; }
	path=$(realpath -s -m "$path")
	while [ -L "$S$path" ] && [ $((n += 1)) -lt 40 ]; do
		target=$(readlink "$S$path")
		case $target in
		/*) path=$(realpath -s -m "$target") ;;
		*) path=$(realpath -s -m "$(dirname "$path")/$target") ;;
		esac
	done
	echo "$path"
}

is_elf() {
	[ -f "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]
}

# libs_of FILE: absolute paths of the libraries FILE needs, loader included.
libs_of() {
	[ -n "$S" ] && { sysroot_libs_of "$1"; return; }
	ldd "$1" 2>/dev/null | awk -v file="$1" '
		$2 == "=>" && $3 == "not" { print file ": " $1 " not found" > "/dev/stderr" }
		$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\// { print $1 }'
}

# sysroot_libs_of FILE: the same for a file of SYSROOT: its interpreter and each NEEDED library,
# looked for where Debian's loader looks (the multiarch folders first). Each library's own
# needs come when it is copied in turn.
sysroot_libs_of() {
	local file=$1 interp lib d found
	interp=$(LC_ALL=C readelf -lW "$S$file" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	[ -z "$interp" ] || echo "$interp"
	for lib in $(LC_ALL=C readelf -dW "$S$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		found=
		for d in "/lib/$triplet" "/usr/lib/$triplet" /lib /usr/lib; do
			[ -e "$S$d/$lib" ] && { found=$d/$lib; break; }
		done
		[ -n "$found" ] || { echo "$0: $file: $lib not found in $S" >&2; return 1; }
		echo "$found"
	done
}

# copy PATH: PATH and what it needs, once.
copy() {
	local path=$1 lib
	[ -n "${done_paths[$path]:-}" ] && return 0
	done_paths[$path]=1
	[ -e "$S$path" ] || { echo "$0: $S$path: no such file" >&2; return 1; }
	ensure_dir "$(dirname "$path")"
	if [ -L "$S$path" ]; then
		[ -L "$DEST$path" ] || copy_link "$path"
		copy "$(resolve "$path")"
	elif [ -d "$S$path" ]; then
		ensure_dir "$path"
		local entry
		for entry in "$S$path"/* "$S$path"/.[!.]*; do
			[ -e "$entry" ] || [ -L "$entry" ] || continue
			copy "${entry#"$S"}"
		done
	else
		# The libraries are found first: a file whose closure is incomplete is not copied.
		local libs=
		if is_elf "$S$path"; then
			libs=$(libs_of "$path") || return 1
		fi
		cp -p "$S$path" "$DEST$path"
		for lib in $libs; do
			copy "$lib"
		done
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
