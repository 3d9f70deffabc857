import Foundation
import Testing

@testable import ResourceMonitor

#if canImport(Glibc)
import Glibc
#endif

/// Burns `seconds` of this thread's own CPU time (not wall time), so the amount of work is exact
/// however busy the machine is.
private func burnThreadCPU(seconds: Double) -> Double {
    var start = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
    var x = 1.0
    while true {
        for _ in 0..<10_000 { x = x * 1.000_000_1 + 1e-9 }
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        let used = Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) / 1e9
        if used >= seconds { return x }
    }
}

@Suite struct ResourceSamplerTests {
    @Test func procfsReadsThisProcessAndMachine() throws {
        let process = ProcFS.processUsage()
        #expect(process.residentBytes > 1_000_000)
        #expect(process.residentPeakBytes >= process.residentBytes)
        let system = try #require(ProcFS.systemUsage())
        #expect(system.totalTicks > system.busyTicks)
        #expect(system.memoryTotalBytes > system.memoryUsedBytes)
        #expect(system.memoryUsedBytes > 0)
    }

    @Test func kibibyteFieldParsing() {
        let text = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t1024 kB\n"
        #expect(ProcFS.kibibytesField("VmRSS:", in: text) == 1024)
        #expect(ProcFS.kibibytesField("VmHWM:", in: text) == 2048)
        #expect(ProcFS.kibibytesField("VmSwap:", in: text) == nil)
    }

    @Test func busyPercentOfTwoSnapshots() {
        let a = SystemUsage(busyTicks: 100, totalTicks: 1000, memoryUsedBytes: 0, memoryTotalBytes: 1)
        let b = SystemUsage(busyTicks: 150, totalTicks: 1100, memoryUsedBytes: 0, memoryTotalBytes: 1)
        #expect(ResourceSampler.busyPercent(from: a, to: b) == 50)
        #expect(ResourceSampler.busyPercent(from: b, to: a) == 0)
    }

    @Test func measuresCPUTimeAndMemoryPeakOfTheJob() throws {
        let sampler = ResourceSampler(interval: 0.05, baselineWindow: 0.05)
        sampler.start()
        let sink = burnThreadCPU(seconds: 0.3)
        // 160 MiB touched page by page, then released: only the peak can show it afterwards.
        let size = 160 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
        for offset in stride(from: 0, to: size, by: 4096) {
            buffer.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self)
        }
        buffer.deallocate()
        let summary = sampler.stop()
        #expect(sink > 0)
        // Other tests run in this process too, so CPU time can only be higher than what we burned.
        #expect(summary.cpuTimeUser + summary.cpuTimeSystem >= 0.3)
        #expect(summary.processMemoryPeakBytes >= 160 << 20)
        #expect(summary.processCPUPeakPercent > 0)
        #expect(summary.systemMemoryPeakBytes >= summary.systemMemoryBaselineBytes)
        #expect(summary.systemMemoryBaselineBytes > 0)
        #expect(summary.samples >= 1)
    }

    @Test func stopWithoutStartIsHarmless() {
        let sampler = ResourceSampler()
        let summary = sampler.stop()
        #expect(summary.samples == 1)
    }
}
