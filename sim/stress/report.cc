// Text and JSON reports of `vfiosim stress`.
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/report/json.h"
#include "sim/stress/stress.h"

namespace vfiosim::stress {
namespace {

double PerSec(uint64_t n, double s) { return s > 0 ? static_cast<double>(n) / s : 0; }

std::string Human(double v) {
  if (v >= 1e9) return absl::StrFormat("%.2fG", v / 1e9);
  if (v >= 1e6) return absl::StrFormat("%.2fM", v / 1e6);
  if (v >= 1e3) return absl::StrFormat("%.1fk", v / 1e3);
  return absl::StrFormat("%.0f", v);
}

std::string Size(uint64_t b) {
  if (b >= (uint64_t{1} << 30) && b % (uint64_t{1} << 30) == 0) return absl::StrFormat("%dG", b >> 30);
  if (b >= (uint64_t{1} << 20) && b % (uint64_t{1} << 20) == 0) return absl::StrFormat("%dM", b >> 20);
  if (b >= (uint64_t{1} << 10) && b % (uint64_t{1} << 10) == 0) return absl::StrFormat("%dK", b >> 10);
  return absl::StrFormat("%d", b);
}

std::string Kinds(const StressOptions& o) {
  std::vector<std::string> k;
  for (RevokeKind r : o.revoke_kinds) k.emplace_back(RevokeKindName(r));
  return absl::StrJoin(k, ",");
}

std::string Bugs(const StressOptions& o) {
  std::vector<std::string> b;
  for (Bug x : o.bugs) b.emplace_back(GetBugInfo(x).name);
  return absl::StrJoin(b, ",");
}

std::string LatencyJson(const LatencyHistogram& h) {
  std::string s = absl::StrFormat(
      "{\"count\": %d, \"min\": %d, \"mean\": %.1f, \"p50\": %d, \"p90\": %d, \"p99\": %d, \"p999\": %d, \"max\": %d, "
      "\"buckets\": [",
      h.count(), h.min(), h.mean(), h.Quantile(0.5), h.Quantile(0.9), h.Quantile(0.99), h.Quantile(0.999), h.max());
  bool first = true;
  for (auto [edge, n] : h.Buckets()) {
    s += absl::StrFormat("%s[%d, %d]", first ? "" : ", ", edge, n);
    first = false;
  }
  return s + "]}";
}

}  // namespace

std::string RenderText(const std::vector<StressResult>& runs) {
  std::string out;
  if (runs.empty()) return out;
  const StressOptions& o0 = runs[0].options;
  out += absl::StrFormat(
      "vfiosim stress: %d faulting thread(s) (%s), %d revoker(s) (%s), BAR0 %s, %d mapping(s) per process%s\n",
      o0.faulters, o0.shared_mm ? "one shared mm" : "one process each", o0.revokers, Kinds(o0),
      Size(o0.bar_size), o0.mappings, o0.bugs.empty() ? "" : ", bugs: " + Bugs(o0));
  for (const StressResult& r : runs) {
    const StressOptions& o = r.options;
    out += absl::StrFormat("\n== variant=%s leaf<=%s: %.2f s\n", VariantName(o.variant), LeafLimitName(o.leaf),
                           r.seconds);
    out += absl::StrFormat("  reads %d (%s/s): hits %d, faults %d (%s/s), SIGBUS %d", r.reads,
                           Human(PerSec(r.reads, r.seconds)), r.hits, r.faults, Human(PerSec(r.faults, r.seconds)),
                           r.sigbus);
    if (r.sigsegv) out += absl::StrFormat(", SIGSEGV %d", r.sigsegv);
    if (r.master_aborts) out += absl::StrFormat(", master aborts %d", r.master_aborts);
    out += "\n";
    out += absl::StrFormat("  leaves installed: 4k %d, 2m %d, 1g %d; zapped %d\n", r.installs[0], r.installs[1],
                           r.installs[2], r.zapped);
    std::vector<std::string> rk;
    for (int k = 0; k < static_cast<int>(RevokeKind::kCount); ++k)
      if (r.revokes[static_cast<size_t>(k)])
        rk.push_back(absl::StrFormat("%s %d", RevokeKindName(static_cast<RevokeKind>(k)), r.revokes[static_cast<size_t>(k)]));
    out += absl::StrFormat("  revokes %d (%s/s)%s%s; op errors %d\n", r.total_revokes(),
                           Human(PerSec(r.total_revokes(), r.seconds)), rk.empty() ? "" : ": ", absl::StrJoin(rk, ", "),
                           r.revoke_errors);
    for (int l = 0; l < kLeafSizes; ++l) {
      const LatencyHistogram& h = r.fault_latency[static_cast<size_t>(l)];
      if (!h.count()) continue;
      out += absl::StrFormat("  fault latency %s leaf (ns): n=%d p50=%d p99=%d p99.9=%d max=%d\n", LeafIndexName(l),
                             h.count(), h.Quantile(0.5), h.Quantile(0.99), h.Quantile(0.999), h.max());
    }
    if (r.revoke_latency.count())
      out += absl::StrFormat("  revoke op latency (ns): n=%d p50=%d p99=%d p99.9=%d max=%d\n", r.revoke_latency.count(),
                             r.revoke_latency.Quantile(0.5), r.revoke_latency.Quantile(0.99),
                             r.revoke_latency.Quantile(0.999), r.revoke_latency.max());
    if (r.violation)
      out += absl::StrFormat("  VIOLATION %s (%s, at %.3f s): %s\n", sim::InvariantName(r.violation->inv),
                             r.violation->thread, r.violation->at_seconds, r.violation->message);
  }
  // Summary table.
  out += absl::StrFormat("\n%-7s %-4s %10s %10s %8s %9s %9s %9s %9s  %s\n", "variant", "leaf", "faults/s", "revokes/s",
                         "SIGBUS", "p50 ns", "p99 ns", "p99.9 ns", "(leaf)", "result");
  int failed = 0;
  for (const StressResult& r : runs) {
    // The latency of the leaf size the configuration is about (the largest with samples).
    int l = kLeafSizes - 1;
    while (l > 0 && !r.fault_latency[static_cast<size_t>(l)].count()) --l;
    const LatencyHistogram& h = r.fault_latency[static_cast<size_t>(l)];
    failed += r.violation ? 1 : 0;
    out += absl::StrFormat("%-7s %-4s %10s %10s %8d %9d %9d %9d %9s  %s\n", VariantName(r.options.variant),
                           LeafLimitName(r.options.leaf), Human(PerSec(r.faults, r.seconds)),
                           Human(PerSec(r.total_revokes(), r.seconds)), r.sigbus, h.Quantile(0.5), h.Quantile(0.99),
                           h.Quantile(0.999), LeafIndexName(l),
                           r.violation ? std::string("FAIL ") + std::string(sim::InvariantName(r.violation->inv))
                                       : "ok");
  }
  out += absl::StrFormat("stress: %s runs=%d%s\n", failed ? "FAIL" : "PASS", runs.size(),
                         failed ? absl::StrFormat(" failed=%d", failed) : "");
  return out;
}

std::string RenderJson(const std::vector<StressResult>& runs) {
  std::string out = "{\n  \"tool\": \"vfiosim stress\",\n  \"runs\": [";
  bool first_run = true;
  for (const StressResult& r : runs) {
    const StressOptions& o = r.options;
    out += first_run ? "\n    {" : ",\n    {";
    first_run = false;
    out += absl::StrFormat(
        "\"variant\": %s, \"leaf\": %s, \"faulters\": %d, \"revokers\": %d, \"shared_mm\": %s, \"mappings\": %d, "
        "\"bar_size\": %d, \"revoke_kinds\": %s, \"bugs\": %s, \"seed\": %d, \"seconds\": %.6f,\n     ",
        json::Quote(VariantName(o.variant)), json::Quote(LeafLimitName(o.leaf)), o.faulters, o.revokers,
        o.shared_mm ? "true" : "false", o.mappings, o.bar_size, json::Quote(Kinds(o)), json::Quote(Bugs(o)), o.seed,
        r.seconds);
    out += absl::StrFormat(
        "\"reads\": %d, \"hits\": %d, \"faults\": %d, \"sigbus\": %d, \"sigsegv\": %d, \"master_aborts\": %d, "
        "\"faults_per_second\": %.1f, \"reads_per_second\": %.1f,\n     ",
        r.reads, r.hits, r.faults, r.sigbus, r.sigsegv, r.master_aborts, PerSec(r.faults, r.seconds),
        PerSec(r.reads, r.seconds));
    out += absl::StrFormat("\"installs\": {\"4k\": %d, \"2m\": %d, \"1g\": %d}, \"zapped\": %d,\n     ", r.installs[0],
                           r.installs[1], r.installs[2], r.zapped);
    out += "\"revokes\": {";
    for (int k = 0; k < static_cast<int>(RevokeKind::kCount); ++k)
      out += absl::StrFormat("%s%s: %d", k ? ", " : "", json::Quote(RevokeKindName(static_cast<RevokeKind>(k))),
                             r.revokes[static_cast<size_t>(k)]);
    out += absl::StrFormat("}, \"revokes_per_second\": %.1f, \"revoke_errors\": %d,\n     ",
                           PerSec(r.total_revokes(), r.seconds), r.revoke_errors);
    out += "\"fault_latency_ns\": {";
    bool first = true;
    for (int l = 0; l < kLeafSizes; ++l) {
      const LatencyHistogram& h = r.fault_latency[static_cast<size_t>(l)];
      if (!h.count()) continue;
      out += absl::StrFormat("%s\n       %s: %s", first ? "" : ",", json::Quote(LeafIndexName(l)), LatencyJson(h));
      first = false;
    }
    out += "},\n     \"revoke_latency_ns\": " + LatencyJson(r.revoke_latency) + ",\n     ";
    if (r.violation)
      out += absl::StrFormat("\"violation\": {\"invariant\": %s, \"message\": %s, \"thread\": %s, \"at_seconds\": %.6f}",
                             json::Quote(sim::InvariantName(r.violation->inv)), json::Quote(r.violation->message),
                             json::Quote(r.violation->thread), r.violation->at_seconds);
    else
      out += "\"violation\": null";
    out += "}";
  }
  int failed = 0;
  for (const StressResult& r : runs) failed += r.violation ? 1 : 0;
  out += absl::StrFormat("\n  ],\n  \"verdict\": %s\n}\n", failed ? "\"FAIL\"" : "\"PASS\"");
  return out;
}

}  // namespace vfiosim::stress
