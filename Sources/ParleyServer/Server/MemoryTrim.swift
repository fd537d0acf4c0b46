/// Returns freed heap memory to the operating system (glibc's `malloc_trim`, declared in `<malloc.h>`,
/// which the Glibc module does not import). A no-op elsewhere.
enum MemoryTrim {
    static func trim() {
        #if os(Linux)
        _ = parleyMallocTrim(0)
        #endif
    }
}

#if os(Linux)
@_silgen_name("malloc_trim")
private func parleyMallocTrim(_ pad: Int) -> Int32
#endif
