// swift-tools-version:6.1
import PackageDescription

// One settings array for every target, so every module is compiled with the same language features.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "dicom-j2k",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dicom-j2k", targets: ["dicom-j2k"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        // Layer 0: C libraries.
        .systemLibrary(
            name: "COpenJPEG",
            pkgConfig: "libopenjp2",
            providers: [.apt(["libopenjp2-7-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // pipe2 and posix_spawn's closefrom, which Swift's Glibc module does not import.
        .target(name: "CSpawn"),
        .target(
            // OpenJPH (HTJ2K) behind a plain C header: a C++ shim, so Swift needs no C++ interop.
            // Linked by name: Debian's openjph.pc is empty.
            name: "CHTJ2K",
            linkerSettings: [.linkedLibrary("openjph")]
        ),

        // Layer 1: pure building blocks, no I/O of their own.
        .target(
            name: "DICOM",
            dependencies: ["CZlib"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "JPEG2000",
            dependencies: [
                "COpenJPEG",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HTJ2K",
            dependencies: [
                "CHTJ2K", "JPEG2000",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ZIPStream",
            dependencies: ["CZlib"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ResourceMonitor",
            swiftSettings: swiftSettings
        ),
        .target(
            // A deterministic CT phantom and study writer for `sample-study`, tests and benchmarks.
            name: "SampleStudy",
            dependencies: ["DICOM"],
            swiftSettings: swiftSettings
        ),
        .target(
            // CloudWatch Embedded Metric Format records (pure encoding).
            name: "EMF",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AWSSigV4",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),

        // Layer 2: one DICOM file in, one out; the AWS clients.
        .target(
            name: "Transcoder",
            dependencies: [
                "DICOM", "JPEG2000", "HTJ2K", "CSpawn",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AWSClients",
            dependencies: [
                "AWSSigV4",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            // The Lambda Runtime API client and loop (no Lambda runtime library is used).
            name: "LambdaRuntime",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Layer 3: the job: options, naming, the pipeline, the result JSON.
        .target(
            name: "CompressionJob",
            dependencies: [
                "DICOM", "JPEG2000", "Transcoder", "ZIPStream", "ResourceMonitor", "AWSClients", "EMF",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // Layer 4: the runtimes around the job (SQS long-poller, Lambda SQS events); the command-line tool.
        .target(
            name: "Worker",
            dependencies: [
                "CompressionJob", "AWSClients", "LambdaRuntime",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            // The prototype's HTTP API in front of the queue, and the dashboard: one router, served by
            // Hummingbird (`serve`) and by API Gateway events in Lambda.
            name: "CompressionAPI",
            dependencies: [
                "CompressionJob", "AWSClients", "LambdaRuntime", "JPEG2000",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "dicom-j2k",
            dependencies: [
                "DICOM", "JPEG2000", "ZIPStream", "Transcoder", "AWSClients", "CompressionJob", "SampleStudy",
                "ResourceMonitor", "HTJ2K", "LambdaRuntime", "Worker", "CompressionAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Tests. TestSupport holds shared helpers (test data location, running Python checks).
        .target(
            name: "TestSupport",
            dependencies: [
                "AWSClients",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "DICOMTests", dependencies: ["DICOM", "CZlib", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "JPEG2000Tests",
            dependencies: [
                "JPEG2000", "HTJ2K", "SampleStudy", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ZIPStreamTests", dependencies: ["ZIPStream", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "EMFTests", dependencies: ["EMF"], swiftSettings: swiftSettings),
        .testTarget(name: "ResourceMonitorTests", dependencies: ["ResourceMonitor"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CompressionJobTests",
            dependencies: [
                "CompressionJob", "SampleStudy", "TestSupport", "AWSClients", "EMF", "Transcoder",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SampleStudyTests",
            dependencies: [
                "SampleStudy", "DICOM", "JPEG2000", "TestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "AWSSigV4Tests", dependencies: ["AWSSigV4"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AWSClientsTests",
            dependencies: [
                "AWSClients", "AWSSigV4", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LambdaRuntimeTests",
            dependencies: [
                "LambdaRuntime", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WorkerTests",
            dependencies: [
                "Worker", "LambdaRuntime", "CompressionJob", "AWSClients", "SampleStudy", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CompressionAPITests",
            dependencies: [
                "CompressionAPI", "CompressionJob", "AWSClients", "LambdaRuntime", "SampleStudy", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TranscoderTests",
            dependencies: [
                "Transcoder", "DICOM", "JPEG2000", "HTJ2K", "SampleStudy", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
