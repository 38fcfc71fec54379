#!/bin/sh
# The translation units a FAULT= build must compile with the fault on: those whose source, or a
# header they include (as g++ -MM sees it), names LANSTRESS_FAULT_<NAME> or LANSTRESS_FAULT (the
# build info). Every other unit is the same code as the flavor's own build, so the Makefile links
# that object instead of compiling it again: a fault build compiles one or two files, not all.
#   usage: fault-tus.sh NAME CXX   (prints paths relative to src/, one per line)
set -eu
name=$1
cxx=$2
src=$(cd "$(dirname "$0")/src" && pwd)
marked=$(grep -rlw -e "LANSTRESS_FAULT_$name" -e LANSTRESS_FAULT "$src" || true)
for tu in "$src"/core/*.cpp "$src"/standalone/*.cpp; do
  # A unit this compiler cannot preprocess is not built for its target (epoll_port.cpp for mingw).
  deps=$("$cxx" -std=c++17 -MM -I"$src/core" "$tu" 2>/dev/null | tr -d '\\\n') || continue
  [ -n "$deps" ] || continue
  for f in $marked; do
    case " $deps " in
      *" $f "*) echo "${tu#"$src"/}"; break ;;
    esac
  done
done
