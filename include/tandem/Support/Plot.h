//===- Plot.h - Self-contained SVG scatter plots for HTML reports -*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The HTML reports (co-design, mixed precision) open in any browser without
// scripts or network: their charts are inline SVG written here.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_SUPPORT_PLOT_H
#define TANDEM_SUPPORT_PLOT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace tandem {

/// `text` with HTML's special characters escaped.
std::string escapeHTML(llvm::StringRef text);

/// One plot axis over `values`: linear, or logarithmic when they span more
/// than a factor of 20.
struct PlotAxis {
  double lo = 0, hi = 1;
  bool log = false;

  explicit PlotAxis(llvm::ArrayRef<double> values);
  /// Position in [0, 1].
  double place(double v) const;
  double valueAt(double fraction) const;
};

/// A scatter plot: the frame, grid, ticks and axis titles are written on
/// construction (axes fitted to `xs` and `ys`), points by point(), the
/// closing tag by finish().
class ScatterSVG {
public:
  ScatterSVG(llvm::ArrayRef<double> xs, llvm::ArrayRef<double> ys,
             llvm::StringRef xTitle, llvm::StringRef yTitle, double width = 720,
             double height = 480);
  /// A circle of radius `r` with CSS class `cls` and an optional tooltip.
  void point(double x, double y, double r, llvm::StringRef cls,
             llvm::StringRef title = "");
  /// A text label beside a point.
  void label(double x, double y, llvm::StringRef text);
  std::string finish();

private:
  double px(double v) const;
  double py(double v) const;
  PlotAxis ax, ay;
  double left = 80, top = 20, plotW, plotH;
  std::string svg;
};

} // namespace tandem

#endif // TANDEM_SUPPORT_PLOT_H
