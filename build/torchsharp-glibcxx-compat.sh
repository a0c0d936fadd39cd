#!/usr/bin/env bash
# Lets TorchSharp's native bridge (libLibTorchSharp.so) load on Linux systems whose libstdc++ is older than GCC 13
# (such as Debian 12). TorchSharp 0.107's bridge asks for one GCC 13 symbol, std::ios_base_library_init() (symbol
# version GLIBCXX_3.4.32); older libstdc++ lacks it, so loading fails with "version `GLIBCXX_3.4.32' not found".
# On such systems this script, idempotently, for every restored TorchSharp package in the NuGet cache:
#   1. builds a tiny shim library, libiosshim.so, next to libLibTorchSharp.so, defining that function (it only
#      initializes iostreams, as code built by older GCC does in every file that includes <iostream>),
#   2. patches libLibTorchSharp.so to load the shim (a DT_NEEDED entry; the bridge's RUNPATH is $ORIGIN, so the
#      shim is found next to it), to take the symbol unversioned, and to require GLIBCXX_3.4.30 instead of 3.4.32.
# The patch is made on a copy that replaces the original in one rename, after it has been checked, so a reader
# (or an interrupted run) only ever sees the original or the fully patched library.
#
# Usage: torchsharp-glibcxx-compat.sh [NUGET_PACKAGE_ROOT]   (default: $NUGET_PACKAGES, else ~/.nuget/packages)
# build/TorchSharpNativeCompat.targets runs it before ResolvePackageAssets in every project that uses TorchSharp,
# and copies libiosshim.so into the output's runtimes/linux-x64/native folder beside the copied libLibTorchSharp.so
# (without it the patched bridge does not load, and TorchSharp's fallback loader copies all of libtorch on first run).
#
# Exits 0 without a word when there is nothing to do: a current libstdc++, no TorchSharp package restored, or all
# of them already patched; it prints one line per library it patches. Only when there is something to patch does
# it need g++, patchelf, objdump and python3 (installed with apt-get when missing). Parallel builds may run it
# several times at once: the patching runs under flock, one run at a time, and the run that waited finds the work
# done; even without the lock no library could be patched twice, since every run patches a copy of the original.
set -euo pipefail

nuget=${1:-${NUGET_PACKAGES:-$HOME/.nuget/packages}}
nuget=${nuget%/}

ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
libstdcxx=$("$ldconfig" -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {p = $NF} END {print p}') || true
if [[ -z $libstdcxx ]] || grep -qa 'GLIBCXX_3\.4\.32' "$libstdcxx"; then
  exit 0                                                           # not x86-64 Linux, or libstdc++ is recent enough
fi

shopt -s nullglob
# Prints the bridges that still need work: unpatched ones that ask for GLIBCXX_3.4.32, and patched ones whose shim
# is missing. A patched bridge names libiosshim.so (patchelf adds that string); the original never does.
pending() {
  local so
  for so in "$nuget"/torchsharp/*/runtimes/linux-x64/native/libLibTorchSharp.so; do
    if grep -qaF libiosshim.so "$so"; then
      [[ -f ${so%/*}/libiosshim.so ]] || echo "$so"
    elif grep -qaF GLIBCXX_3.4.32 "$so"; then
      echo "$so"
    fi
  done
}

if [[ -z ${TORCHSHARP_COMPAT_LOCKED:-} ]]; then
  [[ -n $(pending) ]] || exit 0                                    # the usual case: nothing to do, no lock taken
  # One run at a time, and the run that waited looks again: the first one may have done its work.
  if command -v flock >/dev/null; then
    TORCHSHARP_COMPAT_LOCKED=1 exec flock "$nuget/.torchsharp-glibcxx-compat.lock" bash "$0" "$nuget"
  fi
  echo "torchsharp-glibcxx-compat: flock (util-linux) not found; patching without a lock" >&2
fi

mapfile -t todo < <(pending)
((${#todo[@]})) || exit 0

missing=()
command -v g++ >/dev/null || missing+=(g++)
command -v patchelf >/dev/null || missing+=(patchelf)
command -v objdump >/dev/null || missing+=(binutils)
command -v python3 >/dev/null || missing+=(python3)
if ((${#missing[@]})); then
  if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
    echo "torchsharp-glibcxx-compat: install ${missing[*]} (needed to patch TorchSharp for this libstdc++)" >&2
    exit 1
  fi
  log=$(mktemp)
  if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "torchsharp-glibcxx-compat: could not install ${missing[*]}" >&2
    exit 1
  fi
  rm -f "$log"
fi

work=$(mktemp -d)
shim_tmp= tmp=
trap 'rm -rf "$work" ${shim_tmp:+"$shim_tmp"} ${tmp:+"$tmp"}' EXIT
printf '#include <ios>\nnamespace std { void ios_base_library_init() { static ios_base::Init init; } }\n' > "$work/iosshim.cpp"

for so in "${todo[@]}"; do
  dir=${so%/*}
  # 1. The shim, built aside and renamed into place (before the bridge that needs it).
  if [[ ! -f $dir/libiosshim.so ]]; then
    shim_tmp=$dir/.libiosshim.so.$$
    g++ -shared -fPIC -O2 -o "$shim_tmp" "$work/iosshim.cpp"
    mv -f "$shim_tmp" "$dir/libiosshim.so"
    shim_tmp=
  fi
  grep -qaF libiosshim.so "$so" && continue                        # bridge already patched: it only lacked the shim

  # 2. The bridge, patched on a copy in the same folder.
  tmp=$dir/.libLibTorchSharp.so.$$
  cp --preserve=mode "$so" "$tmp"
  patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$tmp"
  patchelf --add-needed libiosshim.so "$tmp"
  python3 - "$tmp" <<'PY'
# Rewrite the GLIBCXX_3.4.32 version requirement of the ELF file into GLIBCXX_3.4.30 (present in older libstdc++):
# the Vernaux entry keeps its flags and version index, and gets the name and hash of GLIBCXX_3.4.30, whose string
# the file's .dynstr already holds (the bridge also needs that version).
import struct, sys
path, old, new = sys.argv[1], b"GLIBCXX_3.4.32", b"GLIBCXX_3.4.30"
b = bytearray(open(path, "rb").read())
shoff, = struct.unpack_from("<Q", b, 0x28)
shentsize, shnum = struct.unpack_from("<HH", b, 0x3A)
secs = [struct.unpack_from("<IIQQQQIIQQ", b, shoff + i * shentsize) for i in range(shnum)]
verneed = next(s for s in secs if s[1] == 0x6FFFFFFE)  # SHT_GNU_verneed
dynstr = secs[verneed[6]][4]
def name_at(off):
    start = dynstr + off
    return bytes(b[start:b.index(b"\0", start)])
def elf_hash(name):
    h = 0
    for c in name:
        h = ((h << 4) + c) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h
entry, new_name, target = verneed[4], None, None
while True:
    _, count, _, aux, nxt = struct.unpack_from("<HHIII", b, entry)
    a = entry + aux
    for _ in range(count):
        _, _, _, name, anext = struct.unpack_from("<IHHII", b, a)
        if name_at(name) == new: new_name = name
        if name_at(name) == old: target = a
        a += anext
    if not nxt:
        break
    entry += nxt
if target is None:
    sys.exit(0)
if new_name is None:
    sys.exit("torchsharp-glibcxx-compat: %s needs GLIBCXX_3.4.32 but not GLIBCXX_3.4.30; cannot patch" % path)
_, flags, other, _, anext = struct.unpack_from("<IHHII", b, target)
struct.pack_into("<IHHII", b, target, elf_hash(new), flags, other, new_name, anext)
open(path, "wb").write(b)
PY
  # 3. Check the result before it replaces the original: no GLIBCXX_3.4.32 need, exactly one libiosshim.so need.
  refs=$(objdump -p "$tmp")
  if [[ $refs == *GLIBCXX_3.4.32* ]] || (($(grep -c 'NEEDED *libiosshim\.so' <<<"$refs") != 1)); then
    echo "torchsharp-glibcxx-compat: patching $so did not give the expected result; left it unchanged" >&2
    exit 1
  fi
  mv -f "$tmp" "$so"
  tmp=
  echo "torchsharp-glibcxx-compat: patched $so"
done
