# gen-abi-probe.awk: writes a C program that prints, for each key of the ABI
# reference (Tests/c/header/abi-win64.txt: "KEY VALUE" lines, the sizes,
# offsets and constants the draft's header has on Windows x64), the value
# ws2spi.h gives it, as "KEY VALUE" (or "KEY MISSING" for an absent constant).
# Keys: sizeof(T), offsetof(S.f), sizeof(in_addr.S_un.S_addr),
# value(INVALID_SOCKET==~0u), or a constant's name.
# Usage: awk -f scripts/gen-abi-probe.awk Tests/c/header/abi-win64.txt > probe.c
BEGIN {
    print "#include <stdio.h>"
    print "#include <stddef.h>"
    print "#include <ws2spi.h>"
    print "int main(void) {"
}
{
    key = $0; sub(/ [^ ]*$/, "", key)
    if (key ~ /^sizeof\(in_addr\.S_un\.S_addr\)$/)
        printf "  printf(\"%s %%d\\n\", (int)sizeof(((struct in_addr *)0)->S_un.S_addr));\n", key
    else if (key ~ /^value\(INVALID_SOCKET==~0u\)$/)
        printf "  printf(\"%s %%d\\n\", (int)(INVALID_SOCKET == (SOCKET)0xFFFFFFFFu));\n", key
    else if (key ~ /^sizeof\(/) {
        t = substr(key, 8, length(key) - 8)
        printf "  printf(\"%s %%d\\n\", (int)sizeof(%s));\n", key, t
    } else if (key ~ /^offsetof\(/) {
        sf = substr(key, 10, length(key) - 10)
        dot = match(sf, /\.[^.]*$/)
        printf "  printf(\"%s %%d\\n\", (int)offsetof(%s, %s));\n", key, substr(sf, 1, dot - 1), substr(sf, dot + 1)
    } else {
        printf "#ifdef %s\n  printf(\"%s %%lld\\n\", (long long)(%s));\n#else\n  printf(\"%s MISSING\\n\");\n#endif\n", key, key, key, key
    }
}
END { print "  return 0;"; print "}" }
