#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The phantom's anatomy: fixed structures plus random details (vessel tracks, bowel loops, rib
/// phases) drawn once from the seed, so consecutive slices show the same structures moving slowly.
///
/// Positions are millimetres from the image centre, `y` posterior; `t` runs from 0 (lung apices) to
/// 1 (pelvis). Values are Hounsfield units.
struct PhantomAnatomy: Sendable {
    /// A small round structure whose position drifts linearly along the scan.
    struct Track: Sendable {
        /// Position in a unit disc (scaled to the organ it lives in) at t = 0, and its drift per unit t.
        var u: Double
        var v: Double
        var du: Double
        var dv: Double
        var radius: Double
        /// Visible from `start` to `end` (in t).
        var start: Double
        var end: Double
        var kind: Int
    }

    private var lungVessels: [Track] = []
    private var liverVessels: [Track] = []
    private var bowelLoops: [Track] = []
    private var mesentericVessels: [Track] = []
    private var ribPhases: [Double] = []
    private var discPhase = 0.0

    init(seed: UInt64) {
        var random = PhantomRandom(seed: PhantomRandom.seed(seed, 0xA4A7))
        func track(_ radius: ClosedRange<Double>, span: Double, kinds: Int = 1) -> Track {
            // A point uniform in the unit disc, drifting by up to a fifth of the organ per unit t.
            let angle = random.uniform(0...(2 * Double.pi))
            let distance = random.uniform().squareRoot() * 0.85
            let start = random.uniform(-span...1)
            return Track(
                u: distance * cos(angle),
                v: distance * sin(angle),
                du: random.uniform(-0.25...0.25),
                dv: random.uniform(-0.25...0.25),
                radius: random.uniform(radius),
                start: start,
                end: start + span + random.uniform(0...span),
                kind: Int(random.next() % UInt64(kinds))
            )
        }
        lungVessels = (0..<400).map { _ in track(0.6...3.2, span: 0.15, kinds: 2) }
        liverVessels = (0..<30).map { _ in track(1.5...5, span: 0.08) }
        bowelLoops = (0..<220).map { _ in track(6...15, span: 0.08, kinds: 3) }
        mesentericVessels = (0..<150).map { _ in track(0.8...2.5, span: 0.1) }
        ribPhases = (0..<14).map { _ in random.uniform(0...1) }
        discPhase = random.uniform(0...1)
    }

    /// 0 outside `start...end`, rising smoothly to 1 at `peak` and falling back.
    private static func bump(_ t: Double, _ start: Double, _ peak: Double, _ end: Double) -> Double {
        guard t > start, t < end else { return 0 }
        let phase = t < peak ? (t - start) / (peak - start) : (end - t) / (end - peak)
        return 0.5 - 0.5 * cos(Double.pi * phase)
    }

    func paint(on canvas: inout PhantomCanvas, at t: Double) {
        paintTable(on: &canvas)
        let body = PhantomCanvas.Shape(
            x: 0,
            y: -5,
            halfWidth: 158 + 14 * sin(Double.pi * t),
            halfHeight: 108 + 10 * t,
            exponent: 2.3
        )
        let fat = 10 + 14 * t
        canvas.paint(body, value: 30)  // skin
        canvas.paint(body.shrunk(by: 1.5), value: -105, jitter: 6)  // subcutaneous fat
        canvas.paint(body.shrunk(by: fat), value: 50, jitter: 4)  // muscle wall
        let cavity = body.shrunk(by: fat + 11)
        canvas.paint(cavity, value: t < 0.45 ? -40 : -90, jitter: 8)  // mediastinal / visceral fat

        paintParaspinalMuscles(on: &canvas, t: t)
        paintThorax(on: &canvas, t: t, cavity: cavity)
        paintAbdomen(on: &canvas, t: t, cavity: cavity)
        paintSkeleton(on: &canvas, t: t, body: body, fat: fat)
        canvas.addTexture(cell: 6, amplitude: 5, range: -200...300)
    }

    private func paintTable(on canvas: inout PhantomCanvas) {
        let top = PhantomCanvas.Shape(x: 0, y: 133, halfWidth: 190, halfHeight: 2, exponent: 8)
        let foam = PhantomCanvas.Shape(x: 0, y: 143, halfWidth: 186, halfHeight: 8, exponent: 8)
        let bottom = PhantomCanvas.Shape(x: 0, y: 153, halfWidth: 180, halfHeight: 2.5, exponent: 8)
        canvas.paint(top, value: 250)
        canvas.paint(foam, value: -960, jitter: 10)
        canvas.paint(bottom, value: 300)
    }

    private func paintParaspinalMuscles(on canvas: inout PhantomCanvas, t: Double) {
        for side in [-1.0, 1.0] {
            canvas.paint(
                .init(x: 34 * side, y: 98, halfWidth: 24, halfHeight: 17, angle: 0.2 * side),
                value: 55,
                jitter: 5
            )
            let psoas = Self.bump(t, 0.55, 0.85, 1.05)
            canvas.paint(
                .init(x: 40 * side, y: 62, halfWidth: 16 * psoas, halfHeight: 18 * psoas),
                value: 52,
                jitter: 5
            )
        }
    }

    private func paintThorax(on canvas: inout PhantomCanvas, t: Double, cavity: PhantomCanvas.Shape) {
        let lungs = Self.bump(t, -0.05, 0.22, 0.5)
        guard lungs > 0 else { return }
        for side in [-1.0, 1.0] {
            let lung = PhantomCanvas.Shape(
                x: 62 * side,
                y: 5,
                halfWidth: (cavity.halfWidth * 0.48) * lungs.squareRoot(),
                halfHeight: (cavity.halfHeight * 0.82) * lungs.squareRoot(),
                angle: 0.12 * side,
                exponent: 2.2
            )
            canvas.paint(lung, value: -860, jitter: 18)
            for vessel in lungVessels where vessel.kind == (side < 0 ? 0 : 1) && (vessel.start...vessel.end).contains(t)
            {
                let u = vessel.u + vessel.du * t
                let v = vessel.v + vessel.dv * t
                guard u * u + v * v < 0.8 else { continue }
                // Vessels are thicker towards the hilum (the medial side of each lung).
                let hilum = 1 + 0.8 * max(0, -u * side)
                canvas.paint(
                    .init(
                        x: lung.x + u * lung.halfWidth,
                        y: lung.y + v * lung.halfHeight,
                        halfWidth: vessel.radius * hilum,
                        halfHeight: vessel.radius * hilum * 0.8,
                        angle: atan2(v, u)
                    ),
                    value: 35
                )
            }
        }
        // Trachea, then the two main bronchi.
        if t < 0.2 {
            canvas.paint(.init(x: 0, y: -10, halfWidth: 11, halfHeight: 10), value: 40)
            canvas.paint(.init(x: 0, y: -10, halfWidth: 9, halfHeight: 8), value: -990)
        } else if t < 0.27 {
            for side in [-1.0, 1.0] {
                canvas.paint(.init(x: 20 * side, y: -2, halfWidth: 7, halfHeight: 6), value: 40)
                canvas.paint(.init(x: 20 * side, y: -2, halfWidth: 5.5, halfHeight: 4.5), value: -990)
            }
        }
        // Heart: myocardium around contrast-filled chambers.
        let heart = Self.bump(t, 0.14, 0.3, 0.46)
        if heart > 0 {
            let shape = PhantomCanvas.Shape(x: 14, y: -8, halfWidth: 62 * heart, halfHeight: 50 * heart, angle: 0.5)
            canvas.paint(shape, value: 45, jitter: 4)
            canvas.paint(.init(x: 30, y: -14, halfWidth: 26 * heart, halfHeight: 20 * heart, angle: 0.4), value: 170)
            canvas.paint(.init(x: -4, y: -20, halfWidth: 22 * heart, halfHeight: 18 * heart, angle: 0.6), value: 150)
        }
        // Ascending aorta and arch.
        if (0.06...0.3).contains(t) {
            canvas.paint(.init(x: 4, y: -28, halfWidth: 15, halfHeight: 15), value: 175)
        }
    }

    private func paintAbdomen(on canvas: inout PhantomCanvas, t: Double, cavity: PhantomCanvas.Shape) {
        // Aorta (descending, then abdominal) and the inferior vena cava.
        if t < 0.85 {
            canvas.paint(.init(x: 16 - 10 * t, y: 52 - 6 * t, halfWidth: 12, halfHeight: 12), value: 170)
        }
        if (0.42...0.86).contains(t) {
            canvas.paint(.init(x: -24, y: 44, halfWidth: 12, halfHeight: 9), value: 110)
        }
        // Bowel first, so the solid organs painted after it lie on top.
        paintBowel(on: &canvas, t: t, cavity: cavity)
        let liver = Self.bump(t, 0.3, 0.48, 0.74)
        if liver > 0 {
            let shape = PhantomCanvas.Shape(
                x: -58,
                y: 6,
                halfWidth: 88 * liver,
                halfHeight: 74 * liver,
                angle: 0.35,
                exponent: 2.2
            )
            canvas.paint(shape, value: 62, jitter: 5)
            for vessel in liverVessels where (vessel.start...vessel.end).contains(t) {
                canvas.paint(
                    .init(
                        x: shape.x + (vessel.u + vessel.du * t) * shape.halfWidth * 0.8,
                        y: shape.y + (vessel.v + vessel.dv * t) * shape.halfHeight * 0.8,
                        halfWidth: vessel.radius * liver,
                        halfHeight: vessel.radius * liver
                    ),
                    value: 140
                )
            }
        }
        let stomach = Self.bump(t, 0.36, 0.46, 0.58)
        if stomach > 0 {
            let shape = PhantomCanvas.Shape(x: 55, y: -30, halfWidth: 42 * stomach, halfHeight: 32 * stomach)
            canvas.paint(shape, value: 45)
            canvas.paint(shape.shrunk(by: 3), value: 15, jitter: 4)
            var gas = shape.shrunk(by: 3)
            gas.clipBelowY = shape.y - shape.halfHeight * 0.2
            canvas.paint(gas, value: -960, jitter: 10)
        }
        let spleen = Self.bump(t, 0.38, 0.5, 0.62)
        canvas.paint(
            .init(x: 84, y: 34, halfWidth: 28 * spleen, halfHeight: 50 * spleen, angle: -0.5),
            value: 52,
            jitter: 5
        )
        let pancreas = Self.bump(t, 0.48, 0.55, 0.62)
        canvas.paint(
            .init(x: 12, y: 22, halfWidth: 55 * pancreas, halfHeight: 11 * pancreas, angle: -0.2),
            value: 45,
            jitter: 6
        )
        let kidneys = Self.bump(t, 0.5, 0.62, 0.76)
        if kidneys > 0 {
            for side in [-1.0, 1.0] {
                let kidney = PhantomCanvas.Shape(
                    x: 64 * side,
                    y: 62,
                    halfWidth: 25 * kidneys,
                    halfHeight: 34 * kidneys,
                    angle: 0.45 * side
                )
                canvas.paint(kidney, value: 165, jitter: 6)
                canvas.paint(kidney.scaled(0.55), value: 100, jitter: 6)
                canvas.paint(kidney.scaled(0.2), value: -40)
            }
        }
        let bladder = Self.bump(t, 0.84, 0.97, 1.2)
        canvas.paint(.init(x: 0, y: -35, halfWidth: 42 * bladder, halfHeight: 32 * bladder), value: 8, jitter: 3)
    }

    private func paintBowel(on canvas: inout PhantomCanvas, t: Double, cavity: PhantomCanvas.Shape) {
        let bowel = Self.bump(t, 0.5, 0.72, 0.98)
        guard bowel > 0 else { return }
        for vessel in mesentericVessels where (vessel.start...vessel.end).contains(t) {
            let u = vessel.u + vessel.du * t
            let v = vessel.v + vessel.dv * t - 0.2
            guard u * u + v * v < 0.7 else { continue }
            canvas.paint(
                .init(
                    x: u * cavity.halfWidth * 0.85,
                    y: v * cavity.halfHeight * 0.8,
                    halfWidth: vessel.radius,
                    halfHeight: vessel.radius
                ),
                value: 150
            )
        }
        for (index, loop) in bowelLoops.enumerated() where (loop.start...loop.end).contains(t) {
            // Fewer loops where the abdomen begins and ends, rather than smaller ones.
            guard Double(index % 16) / 16 < bowel else { continue }
            let u = loop.u + loop.du * t
            let v = loop.v + loop.dv * t - 0.15  // bowel sits anterior of the spine
            guard u * u + v * v < 0.8 else { continue }
            let shape = PhantomCanvas.Shape(
                x: u * cavity.halfWidth * 0.9,
                y: v * cavity.halfHeight * 0.85,
                halfWidth: loop.radius,
                halfHeight: loop.radius * 0.85,
                angle: loop.u * 3
            )
            canvas.paint(shape, value: 42)  // wall
            let lumen = shape.shrunk(by: 2.5)
            switch loop.kind {
            case 0:
                canvas.paint(lumen, value: -950, jitter: 12)  // gas
            case 1:
                canvas.paint(lumen, value: 18, jitter: 5)  // fluid
            default:
                canvas.paint(lumen, value: 22, jitter: 5)  // gas over fluid
                var gas = lumen
                gas.clipBelowY = lumen.y - lumen.halfHeight * 0.1
                canvas.paint(gas, value: -940, jitter: 12)
            }
        }
    }

    private func paintSkeleton(on canvas: inout PhantomCanvas, t: Double, body: PhantomCanvas.Shape, fat: Double) {
        // Vertebra: body, or an intervertebral disc every ~28 mm; canal; posterior elements.
        let radius = 16 + 7 * t
        let vertebra = PhantomCanvas.Shape(x: 0, y: 72, halfWidth: radius * 1.1, halfHeight: radius)
        let level = (t * CTPhantom.scanLength / 28 + discPhase).truncatingRemainder(dividingBy: 1)
        if level < 0.18 {
            canvas.paint(vertebra, value: 85, jitter: 6)
        } else {
            canvas.paintBone(vertebra, cortex: 2, cortical: 700, cancellous: 230)
        }
        canvas.paintBone(
            .init(x: 0, y: 72 + radius + 14, halfWidth: 14, halfHeight: 10),
            cortex: 2.5,
            cortical: 650,
            cancellous: 260
        )
        canvas.paint(.init(x: 0, y: 72 + radius + 11, halfWidth: 8, halfHeight: 7), value: 15)  // canal
        canvas.paintBone(
            .init(x: 0, y: 72 + radius + 30, halfWidth: 6, halfHeight: 12),
            cortex: 2,
            cortical: 700,
            cancellous: 300
        )

        // Ribs around the chest wall, each present over part of the scan, plus the sternum.
        let ribs = Self.bump(t, -0.1, 0.2, 0.62)
        if ribs > 0 {
            let ring = body.shrunk(by: fat + 5)
            for (index, phase) in ribPhases.enumerated() {
                let side: Double = index % 2 == 0 ? 1 : -1
                let visible = sin(2 * Double.pi * (t * 9 + phase))
                guard visible > -0.2 else { continue }
                // Angles from lateral-anterior round to posterior, 0 = patient's left (image right).
                let angle = -0.9 + 2.1 * Double(index / 2) / 6 + 0.15 * visible
                let x = side * ring.halfWidth * cos(angle) * 0.97
                let y = ring.y + ring.halfHeight * sin(angle) * 0.97
                let rib = PhantomCanvas.Shape(
                    x: x,
                    y: y,
                    halfWidth: 6 * ribs,
                    halfHeight: 4 * ribs,
                    angle: angle * side
                )
                canvas.paintBone(rib, cortex: 1.5, cortical: 850, cancellous: 260)
            }
            let sternum = PhantomCanvas.Shape(x: 0, y: body.y - body.halfHeight + fat + 8, halfWidth: 15, halfHeight: 6)
            canvas.paintBone(sternum.scaled(ribs), cortex: 1.5, cortical: 600, cancellous: 200)
        }

        // Pelvis: iliac wings, then the femoral heads.
        let pelvis = Self.bump(t, 0.8, 1.0, 1.3)
        if pelvis > 0 {
            for side in [-1.0, 1.0] {
                let wing = PhantomCanvas.Shape(
                    x: 88 * side,
                    y: 45,
                    halfWidth: 55 * pelvis,
                    halfHeight: 13 * pelvis,
                    angle: -0.75 * side
                )
                canvas.paintBone(wing, cortex: 2.5, cortical: 800, cancellous: 280)
            }
        }
        let femoral = Self.bump(t, 0.93, 1.0, 1.1)
        for side in [-1.0, 1.0] where femoral > 0 {
            canvas.paintBone(
                .init(x: 85 * side, y: 25, halfWidth: 22 * femoral, halfHeight: 22 * femoral),
                cortex: 3,
                cortical: 900,
                cancellous: 300
            )
        }
    }
}
