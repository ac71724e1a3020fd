#pragma once
// Log-linear latency histogram (values in nanoseconds, kept in microsecond
// buckets with < 0.2% relative error above 1 ms, exact below). One per thread;
// merged by the orchestrator once the threads are quiet.
#include <algorithm>
#include <cstdint>
#include <vector>

namespace sbl {

class Histogram {
 public:
  Histogram() : counts_(kBuckets, 0) {}

  void record_ns(int64_t ns) {
    if (ns < 0) ns = 0;
    const uint64_t v = static_cast<uint64_t>(ns);
    max_ns_ = std::max(max_ns_, v);
    sum_ns_ += v;
    ++count_;
    ++counts_[index(v / 1000)];
  }

  void merge(const Histogram& o) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    sum_ns_ += o.sum_ns_;
    max_ns_ = std::max(max_ns_, o.max_ns_);
  }

  void reset() {
    std::fill(counts_.begin(), counts_.end(), 0);
    count_ = sum_ns_ = max_ns_ = 0;
  }

  uint64_t count() const { return count_; }
  uint64_t max_ns() const { return max_ns_; }
  double mean_us() const { return count_ ? static_cast<double>(sum_ns_) / count_ / 1000.0 : 0; }

  // Value at quantile q (0..1) in microseconds (the bucket's upper bound).
  double quantile_us(double q) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_));
    if (rank >= count_) rank = count_ - 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen > rank) return std::min(static_cast<double>(upper(i)), max_ns_ / 1000.0);
    }
    return max_ns_ / 1000.0;
  }

 private:
  static constexpr unsigned kLinear = 1024;  // exact microseconds below this
  static constexpr unsigned kSub = 512;      // sub-buckets per power of two above
  static constexpr unsigned kPowers = 40;
  static constexpr size_t kBuckets = kLinear + kPowers * kSub;

  static size_t index(uint64_t us) {
    if (us < kLinear) return us;
    unsigned msb = 63 - static_cast<unsigned>(__builtin_clzll(us));  // >= 10
    unsigned shift = msb - 9;                                        // keeps 10 bits
    size_t i = kLinear + (shift - 1) * kSub + ((us >> shift) - kSub);
    return std::min(i, kBuckets - 1);
  }
  static uint64_t upper(size_t i) {
    if (i < kLinear) return i;
    size_t k = i - kLinear;
    unsigned shift = static_cast<unsigned>(k / kSub) + 1;
    uint64_t sub = kSub + k % kSub;
    return ((sub + 1) << shift) - 1;
  }

  std::vector<uint64_t> counts_;
  uint64_t count_ = 0, sum_ns_ = 0, max_ns_ = 0;
};

}  // namespace sbl
