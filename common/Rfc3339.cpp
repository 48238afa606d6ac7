#include "common/Rfc3339.h"

#include <date/date.h>

#include <cctype>
#include <cstdio>

namespace callwarden {
namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

Result<Timestamp> parseRfc3339(std::string_view s) {
  auto bad = [] { return Status::invalidArgument("not an RFC 3339 date-time with offset"); };
  int y, mo, d, h, mi, sec;
  if (s.size() < 20 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec)) {
    return bad();
  }
  size_t pos = 19;
  long micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int nd = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (nd < 6) micros = micros * 10 + (s[pos] - '0');
      ++nd;
      ++pos;
    }
    if (nd == 0) return bad();
    for (int i = nd; i < 6; ++i) micros *= 10;
  }
  if (pos >= s.size()) return bad();
  int offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return bad();
    }
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  auto ymd =
      date::year{y} / date::month{static_cast<unsigned>(mo)} / date::day{static_cast<unsigned>(d)};
  // Leap seconds (:60) are not representable in sys_time; reject rather than guess.
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return bad();
  auto t = date::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
           std::chrono::seconds{sec} + std::chrono::microseconds{micros} -
           std::chrono::minutes{offset_minutes};
  return Timestamp{t};
}

// Digits are written by hand: snprintf took about 3,000 instructions a call, and a call check
// formats three instants.
std::string formatRfc3339(Timestamp t) {
  auto day = date::floor<date::days>(t);
  date::year_month_day ymd{day};
  date::hh_mm_ss<std::chrono::microseconds> tod{t - day};
  const int year = static_cast<int>(ymd.year());
  const long us = tod.subseconds().count();
  if (year < 0 || year > 9999) {
    char buf[64];
    int n = std::snprintf(
        buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", year, static_cast<unsigned>(ymd.month()),
        static_cast<unsigned>(ymd.day()), static_cast<int>(tod.hours().count()),
        static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()));
    std::string out(buf, static_cast<size_t>(n));
    if (us != 0) {
      std::snprintf(buf, sizeof buf, ".%06ld", us);
      out += buf;
    }
    return out + 'Z';
  }
  char buf[28] = "0000-00-00T00:00:00.000000Z";
  auto put = [&buf](size_t pos, long value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10)
      buf[pos + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
  };
  put(0, year, 4);
  put(5, static_cast<unsigned>(ymd.month()), 2);
  put(8, static_cast<unsigned>(ymd.day()), 2);
  put(11, tod.hours().count(), 2);
  put(14, tod.minutes().count(), 2);
  put(17, tod.seconds().count(), 2);
  if (us == 0) {
    buf[19] = 'Z';
    return std::string(buf, 20);
  }
  put(20, us, 6);
  return std::string(buf, 27);
}

}  // namespace callwarden
