//===- Plot.cpp - Self-contained SVG scatter plots for HTML reports -------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Support/Plot.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace llvm;
using namespace tandem;

std::string tandem::escapeHTML(StringRef text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

PlotAxis::PlotAxis(ArrayRef<double> values) {
  if (values.empty())
    return;
  lo = *std::min_element(values.begin(), values.end());
  hi = *std::max_element(values.begin(), values.end());
  log = lo > 0 && hi / lo > 20;
  if (log) {
    lo = std::log10(lo);
    hi = std::log10(hi);
  }
  double pad = hi > lo ? (hi - lo) * 0.04 : (lo != 0 ? std::abs(lo) * 0.1 : 1);
  lo -= pad;
  hi += pad;
}

double PlotAxis::place(double v) const {
  double t = log ? std::log10(v) : v;
  return (t - lo) / (hi - lo);
}

double PlotAxis::valueAt(double fraction) const {
  double t = lo + fraction * (hi - lo);
  return log ? std::pow(10, t) : t;
}

ScatterSVG::ScatterSVG(ArrayRef<double> xs, ArrayRef<double> ys,
                       StringRef xTitle, StringRef yTitle, double width,
                       double height)
    : ax(xs), ay(ys), plotW(width - 80 - 20), plotH(height - 20 - 60) {
  raw_string_ostream os(svg);
  // Inline SVG in HTML needs no namespace declaration.
  os << formatv("<svg width=\"{0}\" "
                "height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\">\n",
                width, height);
  os << formatv("<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" "
                "fill=\"#fff\" stroke=\"#888\"/>\n",
                left, top, plotW, plotH);
  for (int i = 0; i <= 4; ++i) {
    double f = i / 4.0;
    double x = left + f * plotW, y = top + (1 - f) * plotH;
    os << formatv("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" "
                  "stroke=\"#eee\"/>\n",
                  x, top, top + plotH);
    os << formatv("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" "
                  "stroke=\"#eee\"/>\n",
                  left, y, left + plotW);
    os << formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\" "
                  "class=\"tick\">{2}</text>\n",
                  x, top + plotH + 16, format("%.3g", ax.valueAt(f)));
    os << formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"end\" "
                  "class=\"tick\">{2}</text>\n",
                  left - 6, y + 4, format("%.3g", ay.valueAt(f)));
  }
  os << formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">{2}{3}"
                "</text>\n",
                left + plotW / 2, height - 16, escapeHTML(xTitle),
                ax.log ? " (log scale)" : "");
  os << formatv("<text x=\"16\" y=\"{0}\" text-anchor=\"middle\" "
                "transform=\"rotate(-90 16 {0})\">{1}{2}</text>\n",
                top + plotH / 2, escapeHTML(yTitle),
                ay.log ? " (log scale)" : "");
}

double ScatterSVG::px(double v) const { return left + ax.place(v) * plotW; }
double ScatterSVG::py(double v) const {
  return top + (1 - ay.place(v)) * plotH;
}

void ScatterSVG::point(double x, double y, double r, StringRef cls,
                       StringRef title) {
  raw_string_ostream os(svg);
  os << formatv("<circle cx=\"{0}\" cy=\"{1}\" r=\"{2}\" class=\"{3}\"",
                format("%.1f", px(x)), format("%.1f", py(y)), r, cls);
  if (title.empty())
    os << "/>\n";
  else
    os << "><title>" << escapeHTML(title) << "</title></circle>\n";
}

void ScatterSVG::label(double x, double y, StringRef text) {
  raw_string_ostream os(svg);
  os << formatv("<text x=\"{0}\" y=\"{1}\" class=\"tick\">{2}</text>\n",
                format("%.1f", px(x) + 8), format("%.1f", py(y) - 6),
                escapeHTML(text));
}

std::string ScatterSVG::finish() {
  svg += "</svg>\n";
  return std::move(svg);
}
