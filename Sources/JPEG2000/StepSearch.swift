/// A one-dimensional search for the encoder knob `x` (the log of a quantisation step or of a rate)
/// at which a measured value `y(x)` reaches a target, where `y` falls as `x` grows (bytes, PSNR,
/// −log max error all do).
///
/// The residual is `r = y(x) − target`. The first step uses a prior slope; later steps use the
/// secant through the last two points until the root is bracketed (a point with `r > 0` left of one
/// with `r < 0`); then regula falsi on the bracket with the Illinois rule (when the same end moves
/// twice in a row, the stale end's residual is halved, so the bracket shrinks from both sides), and
/// bisection whenever a proposal falls outside the bracket. Measured curves of bytes against
/// quantisation step are smooth and monotone but curved, which is what this handles well; where a
/// measurement is noisy (max error) the bracket still narrows to ``minimumBracketWidth``.
///
/// The caller keeps the best result it has seen; the search only proposes where to look next.
package struct StepSearch: Sendable {
    package struct Point: Sendable {
        package var x: Double
        package var residual: Double
    }

    /// Where `x` may go.
    package let range: ClosedRange<Double>
    /// `dy/dx` assumed for the first step and whenever the secant is flat or rising.
    package let priorSlope: Double
    /// The largest move of one step, in `x` units, before the root is bracketed.
    package let maximumStep: Double
    /// Stop once the bracket is narrower than this (in `x` units).
    package let minimumBracketWidth: Double
    /// The smallest move of one step before the root is bracketed: near the target a noisy
    /// measurement (PSNR, max error) would otherwise creep towards it in tiny steps and never cross.
    package let minimumStep: Double

    private(set) package var points: [Point] = []
    private var below: Point?  // r > 0: the target lies at larger x
    private var above: Point?  // r < 0: the target lies at smaller x
    private var lastMoved: Int = 0  // -1 below, +1 above
    private var stale = 1.0  // Illinois factor for the end that has not moved

    package init(
        range: ClosedRange<Double>,
        priorSlope: Double,
        maximumStep: Double = 3,
        minimumStep: Double = 0.02,
        minimumBracketWidth: Double = 0.005
    ) {
        self.range = range
        self.priorSlope = priorSlope < 0 ? priorSlope : -1
        self.maximumStep = maximumStep
        self.minimumStep = minimumStep
        self.minimumBracketWidth = minimumBracketWidth
    }

    package func clamped(_ x: Double) -> Double { min(max(x, range.lowerBound), range.upperBound) }

    /// Records the residual measured at `x` and proposes the next `x`, or `nil` when another
    /// evaluation cannot help (bracket collapsed, pinned at the range's end, or not finite).
    package mutating func record(x: Double, residual: Double) -> Double? {
        guard x.isFinite, residual.isFinite else { return nil }
        let point = Point(x: x, residual: residual)
        points.append(point)
        if residual == 0 { return nil }
        if residual > 0 {
            if below == nil || x > below!.x {
                if lastMoved == -1 { stale *= 0.5 } else { stale = 1 }
                below = point
                lastMoved = -1
            }
        } else {
            if above == nil || x < above!.x {
                if lastMoved == 1 { stale *= 0.5 } else { stale = 1 }
                above = point
                lastMoved = 1
            }
        }
        if let below, let above {
            let width = above.x - below.x
            // Noise can put a "too good" point right of a "too bad" one: nothing left to bracket.
            guard width > minimumBracketWidth else { return nil }
            // Regula falsi with the stale end's residual scaled down (Illinois).
            let rBelow = lastMoved == 1 ? below.residual * stale : below.residual
            let rAbove = lastMoved == -1 ? above.residual * stale : above.residual
            var next = below.x + rBelow * width / (rBelow - rAbove)
            let margin = width * 0.02
            if !(next > below.x + margin && next < above.x - margin) { next = below.x + width / 2 }
            return next
        }
        // Not bracketed: secant through the last two points (when they are far enough apart for
        // the slope to mean something), else the prior slope.
        var slope = priorSlope
        if points.count >= 2 {
            let previous = points[points.count - 2]
            let secant = (point.residual - previous.residual) / (point.x - previous.x)
            if secant.isFinite, secant < 0, abs(point.x - previous.x) >= minimumStep { slope = secant }
        }
        var step = -residual / slope
        step = min(max(abs(step), minimumStep), maximumStep) * (step < 0 ? -1 : 1)
        let next = clamped(x + step)
        guard abs(next - x) > minimumBracketWidth / 2 else { return nil }  // pinned at the range's end
        return next
    }
}
