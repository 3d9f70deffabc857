#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// CPU time and resident memory of this process.
public struct ProcessUsage: Sendable, Equatable {
    /// User-mode CPU seconds since the process started, its finished child processes included.
    public var userSeconds: Double
    /// Kernel-mode CPU seconds since the process started, its finished child processes included.
    public var systemSeconds: Double
    /// Resident set size now, in bytes (0 where the platform does not tell).
    public var residentBytes: UInt64
    /// The kernel's high-water mark of the resident set (`VmHWM`), in bytes; 0 where unknown.
    public var residentPeakBytes: UInt64

    public var cpuSeconds: Double { userSeconds + systemSeconds }
}

/// Whole-machine CPU counters and memory, from `/proc/stat` and `/proc/meminfo`.
public struct SystemUsage: Sendable, Equatable {
    /// Jiffies spent busy (everything but idle and iowait), summed over all CPUs.
    public var busyTicks: UInt64
    /// All jiffies, summed over all CPUs.
    public var totalTicks: UInt64
    /// `MemTotal − MemAvailable`, in bytes: memory not available to new work.
    public var memoryUsedBytes: UInt64
    /// `MemTotal`, in bytes.
    public var memoryTotalBytes: UInt64
}

/// Reads process and machine usage from the kernel. Every reader returns `nil` instead of failing
/// where `/proc` is missing or unreadable (macOS, restricted containers), so monitoring never breaks
/// a job.
public enum ProcFS {
    /// This process's CPU times (`getrusage`), including the finished child processes it ran (the
    /// `gdcmconv` backend's work counts as the job's), and its memory (`/proc/self/status`).
    public static func processUsage() -> ProcessUsage {
        let own = cpuTimes(RUSAGE_SELF)
        let children = cpuTimes(RUSAGE_CHILDREN)
        let user = own.user + children.user
        let system = own.system + children.system
        var resident: UInt64 = 0
        var peak: UInt64 = 0
        if let status = readSmallFile("/proc/self/status") {
            resident = kibibytesField("VmRSS:", in: status).map { $0 * 1024 } ?? 0
            peak = kibibytesField("VmHWM:", in: status).map { $0 * 1024 } ?? 0
        }
        return ProcessUsage(userSeconds: user, systemSeconds: system, residentBytes: resident, residentPeakBytes: peak)
    }

    private static func cpuTimes(_ who: __rusage_who) -> (user: Double, system: Double) {
        var usage = rusage()
        getrusage(who.rawValue, &usage)
        return (
            Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
            Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        )
    }

    /// The machine's CPU counters and memory; `nil` without `/proc`.
    public static func systemUsage() -> SystemUsage? {
        guard let stat = readSmallFile("/proc/stat"), let meminfo = readSmallFile("/proc/meminfo") else { return nil }
        guard let cpuLine = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        // user nice system idle iowait irq softirq steal [guest guest_nice]; guest time is already
        // counted in user, so only the first eight fields are summed.
        let fields = cpuLine.split(separator: " ").dropFirst().prefix(8).compactMap { UInt64($0) }
        guard fields.count >= 5 else { return nil }
        let total = fields.reduce(0, +)
        let idle = fields[3] + fields[4]
        guard let memTotal = kibibytesField("MemTotal:", in: meminfo) else { return nil }
        let available = kibibytesField("MemAvailable:", in: meminfo) ?? kibibytesField("MemFree:", in: meminfo) ?? 0
        return SystemUsage(
            busyTicks: total - idle,
            totalTicks: total,
            memoryUsedBytes: (memTotal - min(available, memTotal)) * 1024,
            memoryTotalBytes: memTotal * 1024
        )
    }

    /// Resets the kernel's resident high-water mark (`VmHWM`) of this process, so a long-running
    /// worker reports each job's own peak. Returns whether the kernel accepted it.
    @discardableResult
    public static func resetResidentPeak() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    /// Number of online CPUs.
    public static var cpuCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        // /proc files are small; the cap keeps a misbehaving file from growing without bound.
        while bytes.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The number in a `Key:   1234 kB` line of a /proc status-style file.
    static func kibibytesField(_ key: String, in text: String) -> UInt64? {
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            let rest = line.dropFirst(key.count).drop(while: { $0 == " " || $0 == "\t" })
            return UInt64(rest.prefix(while: { $0.isNumber }))
        }
        return nil
    }
}
