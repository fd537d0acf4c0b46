#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file operations `CertificateStore` needs, with POSIX modes set at creation (Foundation would create a
/// key file with the umask's mode and only then change it).
enum POSIXFile {
    /// PEM files are a few KiB; anything past this is not a certificate or key (or is `/dev/zero`).
    static let maximumSize = 1 << 20

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    static func readText(_ path: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let error = errno
            throw error == ENOENT
                ? CertificateError.fileMissing(path: path)
                : CertificateError.unreadable(path: path, reason: Self.reason(error))
        }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 {
                break
            }
            guard count > 0 else {
                let error = errno
                if error == EINTR {
                    continue
                }
                throw CertificateError.unreadable(path: path, reason: Self.reason(error))
            }
            contents.append(contentsOf: chunk.prefix(count))
            guard contents.count <= Self.maximumSize else {
                throw CertificateError.unreadable(path: path, reason: "larger than \(Self.maximumSize) bytes")
            }
        }
        return String(decoding: contents, as: UTF8.self)
    }

    /// Writes `contents` to a fresh temporary file created with `mode`, then renames it over `path`, so a reader
    /// never sees a half-written file and a key is never readable by others, not even for a moment.
    static func writeAtomically(_ contents: String, to path: String, mode: mode_t) throws {
        let temporaryPath = path + ".tmp"
        unlink(temporaryPath)
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw CertificateError.writeFailed(path: temporaryPath, reason: Self.reason(errno))
        }
        var closed = false
        defer {
            if !closed {
                close(descriptor)
                unlink(temporaryPath)
            }
        }
        guard fchmod(descriptor, mode) == 0 else {  // the umask may have removed bits we asked for
            throw CertificateError.writeFailed(path: temporaryPath, reason: Self.reason(errno))
        }
        var bytes = Array(contents.utf8)[...]
        while !bytes.isEmpty {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else {
                let error = errno
                if error == EINTR {
                    continue
                }
                throw CertificateError.writeFailed(path: temporaryPath, reason: Self.reason(error))
            }
            bytes = bytes.dropFirst(count)
        }
        guard fsync(descriptor) == 0 else {
            throw CertificateError.writeFailed(path: temporaryPath, reason: Self.reason(errno))
        }
        close(descriptor)
        closed = true
        guard rename(temporaryPath, path) == 0 else {
            let error = errno
            unlink(temporaryPath)
            throw CertificateError.writeFailed(path: path, reason: Self.reason(error))
        }
    }

    /// `mkdir -p`; directories it creates are private to the owner (0700), since they will hold a private key.
    static func makeDirectories(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += prefix.isEmpty || prefix.hasSuffix("/") ? String(component) : "/" + component
            if mkdir(prefix, 0o700) != 0 {
                let error = errno
                var status = stat()
                guard error == EEXIST, stat(prefix, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
                    throw CertificateError.writeFailed(path: prefix, reason: Self.reason(error))
                }
            }
        }
    }

    private static func reason(_ error: Int32) -> String {
        strerror(error).map { String(cString: $0) } ?? "error \(error)"
    }
}
