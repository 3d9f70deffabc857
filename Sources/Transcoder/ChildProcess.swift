import CSpawn
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The outcome of one child process, with the kernel's account of what it used (`wait4`).
package struct ChildProcessResult: Sendable {
    /// Exit status, or 128 + signal number when a signal ended it.
    package var status: Int32
    /// Whether the timeout killed it.
    package var timedOut: Bool
    /// The end of its standard error (at most 16 KiB), for error messages.
    package var stderr: String
    package var userSeconds: Double
    package var systemSeconds: Double
    /// Peak resident memory of the child, bytes.
    package var maxResidentBytes: Int
    package var wallSeconds: Double
}

/// Runs external programs without a shell, blocking the calling thread until they end. Used for
/// the `gdcmconv` backend, whose pool of calling threads bounds how many children run at once.
package enum ChildProcess {
    package struct SpawnError: Error, CustomStringConvertible {
        package var executable: String
        package var errno: Int32
        package var description: String {
            "cannot start \(executable): \(String(cString: strerror(errno)))"
        }
    }

    /// Runs `executable` with `arguments`; stdin and stdout are `/dev/null`, stderr is captured.
    /// - Parameter timeout: seconds after which the child is killed (SIGKILL).
    package static func run(_ executable: String, _ arguments: [String], timeout: Double) throws -> ChildProcessResult {
        // Close-on-exec from the start: several threads spawn children at once, and a sibling that
        // inherited this pipe's write end would keep our read below from ever seeing end-of-file.
        var errPipe: [Int32] = [0, 0]
        guard cspawn_pipe_cloexec(&errPipe) == 0 else { throw SpawnError(executable: executable, errno: errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        // dup2 clears close-on-exec on the child's fd 2 only.
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        // And nothing else: descriptors other code opened without O_CLOEXEC are not the child's.
        let closeFromStatus = cspawn_file_actions_addclosefrom(&actions, 3)
        guard closeFromStatus == 0 else {
            close(errPipe[0])
            close(errPipe[1])
            throw SpawnError(executable: executable, errno: closeFromStatus)
        }

        let argv = ([executable] + arguments).map { strdup($0) }
        defer { for pointer in argv { free(pointer) } }
        let started = DispatchTime.now()
        var pid: pid_t = 0
        let spawnStatus = (argv + [nil]).withUnsafeBufferPointer { argvPointer in
            posix_spawn(&pid, executable, &actions, nil, argvPointer.baseAddress!, environ)
        }
        close(errPipe[1])
        guard spawnStatus == 0 else {
            close(errPipe[0])
            throw SpawnError(executable: executable, errno: spawnStatus)
        }

        // The watchdog may only signal the child while it has not been reaped (a reaped pid can be
        // reused by an unrelated process), hence the shared flag.
        let state = WatchdogState()
        let watchdog = DispatchWorkItem {
            state.lock.withLock {
                guard !state.reaped else { return }
                state.timedOut = true
                kill(pid, SIGKILL)
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)

        let stderrTail = drainTail(errPipe[0], keep: 16 << 10)
        close(errPipe[0])
        var rawStatus: Int32 = 0
        var usage = rusage()
        while wait4(pid, &rawStatus, 0, &usage) < 0 && errno == EINTR {}
        state.lock.withLock { state.reaped = true }
        watchdog.cancel()

        let wall = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift cannot import.
        let signal = rawStatus & 0x7f
        let status = signal == 0 ? (rawStatus >> 8) & 0xff : 128 + signal
        return ChildProcessResult(
            status: status,
            timedOut: state.lock.withLock { state.timedOut },
            stderr: String(decoding: stderrTail, as: UTF8.self),
            userSeconds: Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
            systemSeconds: Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6,
            maxResidentBytes: Int(usage.ru_maxrss) * 1024,
            wallSeconds: wall
        )
    }

    /// Reads `fd` to its end, keeping only the last `keep` bytes.
    private static func drainTail(_ fd: Int32, keep: Int) -> [UInt8] {
        var tail: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            tail.append(contentsOf: chunk[0..<n])
            if tail.count > 2 * keep { tail.removeFirst(tail.count - keep) }
        }
        return tail.count > keep ? Array(tail.suffix(keep)) : tail
    }

    /// The first executable named `name` on `PATH`, or `nil`.
    package static func which(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        for directory in (path ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

private final class WatchdogState: @unchecked Sendable {
    // Guarded by `lock`.
    let lock = NSLock()
    var reaped = false
    var timedOut = false
}
