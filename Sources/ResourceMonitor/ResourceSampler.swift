import Foundation

/// What a job used, as the result JSON reports it (docs/contracts.md).
public struct ResourceSummary: Sendable, Equatable, Codable {
    /// Highest CPU use of this process over one sampling interval, in percent of one core
    /// (like `top`: 200 means two cores fully busy).
    public var processCPUPeakPercent: Double
    /// User-mode CPU seconds this process, and the child processes it ran, spent during the job.
    public var cpuTimeUser: Double
    /// Kernel-mode CPU seconds this process, and the child processes it ran, spent during the job.
    public var cpuTimeSystem: Double
    /// Peak resident memory of this process during the job, in bytes.
    public var processMemoryPeakBytes: UInt64
    /// Whole-machine CPU busy percent (of all cores) before the job.
    public var systemCPUBaselinePercent: Double
    /// Whole-machine CPU busy percent (of all cores), highest interval during the job.
    public var systemCPUPeakPercent: Double
    /// Whole-machine memory in use before the job, in bytes.
    public var systemMemoryBaselineBytes: UInt64
    /// Whole-machine memory in use, highest sample during the job, in bytes.
    public var systemMemoryPeakBytes: UInt64
    /// Number of samples taken (the baseline excluded).
    public var samples: Int
}

/// Samples process and machine usage on a dedicated thread while a job runs, so the figures are
/// taken on time even when every worker thread is busy encoding.
///
/// Call ``start()`` before the job and ``stop()`` after it; ``stop()`` returns the summary.
public final class ResourceSampler: @unchecked Sendable {
    // All mutable state is guarded by `lock`; the sampling thread and callers share it.
    private let lock = NSLock()
    private let interval: Double
    private let baselineWindow: Double
    private let wakeUp = DispatchSemaphore(value: 0)
    private var thread: Thread?
    private var stopping = false
    private var finished = DispatchSemaphore(value: 0)

    private var startProcess = ProcFS.processUsage()
    private var lastProcess = ProcFS.processUsage()
    private var lastProcessTime = 0.0
    private var lastSystem: SystemUsage?
    private var summary = ResourceSummary(
        processCPUPeakPercent: 0,
        cpuTimeUser: 0,
        cpuTimeSystem: 0,
        processMemoryPeakBytes: 0,
        systemCPUBaselinePercent: 0,
        systemCPUPeakPercent: 0,
        systemMemoryBaselineBytes: 0,
        systemMemoryPeakBytes: 0,
        samples: 0
    )

    /// - Parameters:
    ///   - interval: seconds between samples (the job uses 0.5).
    ///   - baselineWindow: seconds over which the machine's CPU baseline is measured in ``start()``
    ///     (CPU use is a rate, so it needs a window); 0 skips the baseline CPU figure.
    public init(interval: Double = 0.5, baselineWindow: Double = 0.1) {
        self.interval = interval
        self.baselineWindow = baselineWindow
    }

    /// Measures the baseline (blocking for `baselineWindow`), resets the process's peak-memory mark
    /// and starts sampling.
    public func start() {
        let before = ProcFS.systemUsage()
        if baselineWindow > 0, before != nil { Thread.sleep(forTimeInterval: baselineWindow) }
        let after = ProcFS.systemUsage()
        ProcFS.resetResidentPeak()
        let now = ProcFS.processUsage()
        lock.withLock {
            if let before, let after {
                summary.systemCPUBaselinePercent = Self.busyPercent(from: before, to: after)
                summary.systemMemoryBaselineBytes = after.memoryUsedBytes
                summary.systemMemoryPeakBytes = after.memoryUsedBytes
            }
            startProcess = now
            lastProcess = now
            lastProcessTime = Self.monotonicSeconds()
            lastSystem = after
            summary.processMemoryPeakBytes = now.residentBytes
            stopping = false
            finished = DispatchSemaphore(value: 0)
        }
        let thread = Thread { [self] in run() }
        thread.name = "resource-sampler"
        lock.withLock { self.thread = thread }
        thread.start()
    }

    /// Stops sampling, takes a last sample and returns the summary.
    @discardableResult
    public func stop() -> ResourceSummary {
        let running = lock.withLock { () -> Bool in
            guard thread != nil, !stopping else { return false }
            stopping = true
            return true
        }
        if running {
            wakeUp.signal()
            lock.withLock { finished }.wait()
        }
        sample()
        let end = ProcFS.processUsage()
        return lock.withLock {
            thread = nil
            summary.cpuTimeUser = max(0, end.userSeconds - startProcess.userSeconds)
            summary.cpuTimeSystem = max(0, end.systemSeconds - startProcess.systemSeconds)
            // The kernel's high-water mark catches peaks between samples (reset in start()).
            summary.processMemoryPeakBytes = max(summary.processMemoryPeakBytes, end.residentPeakBytes)
            return summary
        }
    }

    private func run() {
        while true {
            _ = wakeUp.wait(timeout: .now() + interval)
            if lock.withLock({ stopping }) { break }
            sample()
        }
        lock.withLock { finished }.signal()
    }

    private func sample() {
        let process = ProcFS.processUsage()
        let system = ProcFS.systemUsage()
        let now = Self.monotonicSeconds()
        lock.withLock {
            let elapsed = now - lastProcessTime
            if elapsed > 0.05 {
                let cpu = (process.cpuSeconds - lastProcess.cpuSeconds) / elapsed * 100
                summary.processCPUPeakPercent = max(summary.processCPUPeakPercent, cpu)
                lastProcess = process
                lastProcessTime = now
            }
            summary.processMemoryPeakBytes = max(summary.processMemoryPeakBytes, process.residentBytes)
            if let system {
                if let last = lastSystem, system.totalTicks > last.totalTicks {
                    summary.systemCPUPeakPercent = max(
                        summary.systemCPUPeakPercent,
                        Self.busyPercent(from: last, to: system)
                    )
                }
                summary.systemMemoryPeakBytes = max(summary.systemMemoryPeakBytes, system.memoryUsedBytes)
                lastSystem = system
            }
            summary.samples += 1
        }
    }

    static func busyPercent(from a: SystemUsage, to b: SystemUsage) -> Double {
        guard b.totalTicks > a.totalTicks, b.busyTicks >= a.busyTicks else { return 0 }
        return Double(b.busyTicks - a.busyTicks) / Double(b.totalTicks - a.totalTicks) * 100
    }

    static func monotonicSeconds() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }
}
