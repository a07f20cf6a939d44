# SPDX-License-Identifier: GPL-3.0-or-later
# bench/strace_bytes.awk: used by bench/sections/35_access_goals.sh (awk -f bench/strace_bytes.awk STRACE.txt).
# Prints "read<TAB>PATH<TAB>BYTES" and "mmap<TAB>PATH<TAB>BYTES" lines.
# bytes read per file from `strace -f -y` output (read/pread: the return value; mmap of a file:
# its length); a call split by another thread's (<unfinished ...> ... <... resumed>) is joined
function fdpath(s) {
  if (!match(s, /[0-9]+<[^>]*>/)) return ""
  s = substr(s, RSTART, RLENGTH); sub(/^[0-9]+</, "", s); sub(/>$/, "", s); return s
}
function account(call, path, len, ret) {
  if (path == "" || path ~ /^(pipe|socket|anon_inode):/) return
  if (call == "mmap") { if (ret !~ /^-/) mapped[path] += len }
  else if (ret + 0 == ret && ret > 0) bytes[path] += ret
}
{
  pid = $1
  if (match($0, /^[0-9]+ +(read|pread64|readv|preadv|mmap)\(/)) {
    call = substr($0, RSTART, RLENGTH); sub(/^[0-9]+ +/, "", call); sub(/\($/, "", call)
    path = fdpath($0)
    split($0, a, ", ")
    if ($0 ~ /<unfinished \.\.\.>$/) { pc[pid] = call; pp[pid] = path; pl[pid] = a[2]; next }
    account(call, path, a[2], $NF)
  } else if ($0 ~ /^[0-9]+ +<\.\.\. (read|pread64|readv|preadv|mmap) resumed>/ && (pid in pc)) {
    account(pc[pid], pp[pid], pl[pid], $NF)
    delete pc[pid]
  }
}
END {
  for (s in bytes) printf "read\t%s\t%d\n", s, bytes[s]
  for (s in mapped) printf "mmap\t%s\t%d\n", s, mapped[s]
}
