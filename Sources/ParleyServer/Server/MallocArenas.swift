/// How many heaps (arenas) glibc's malloc keeps for the process's threads (`mallopt(M_ARENA_MAX)`, `<malloc.h>`,
/// which the Glibc module does not import). A no-op elsewhere.
///
/// By default every thread that allocates gets an arena of its own. A thread's arena is a reserved mapping that grows
/// page by page, each step an `mprotect` system call; the main arena grows with `brk` and a 128 KiB pad. With one event
/// loop that thread does nearly all the allocating (the main thread sleeps; the thread pool only looks up accounts),
/// so all share the main arena: a TCP login and join then made no `mprotect` call instead of 4.5, and `/proc` showed
/// ~10% less kernel time per join (Docs/benchmark-details.md). With more loops, one arena would make them take turns
/// for its lock (measured slower with two loops on two cores), so the default stays.
public enum MallocArenas {
    /// Shares the main arena between all threads; call before the event loops start. Returns whether glibc took
    /// the setting.
    @discardableResult
    public static func useMainArenaOnly() -> Bool {
        #if os(Linux) && canImport(Glibc)
        return parleyMallopt(MallocArenas.arenaMax, 1) == 1
        #else
        return false
        #endif
    }

    /// `M_ARENA_MAX` in glibc's `<malloc.h>`.
    private static let arenaMax: Int32 = -8
}

#if os(Linux) && canImport(Glibc)
@_silgen_name("mallopt")
private func parleyMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
