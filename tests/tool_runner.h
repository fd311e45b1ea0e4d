// Running the built vfiosim as a user does, for the CLI tests (tests/cli/cli_test.cc,
// tests/cli/diff_test.cc): the binary, a scratch directory, and RunTool() with the
// exit status, stdout and stderr of one run.
//
// The binary is found through VFIOSIM_BIN (environment), else the VFIOSIM_BINARY
// compile definition (CMakeLists.txt), else ../vfiosim next to the test binary.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace vfiosim_test {

namespace fs = std::filesystem;

inline std::string Binary() {
  if (const char* e = std::getenv("VFIOSIM_BIN"); e && *e) return e;
#ifdef VFIOSIM_BINARY
  if (fs::exists(VFIOSIM_BINARY)) return VFIOSIM_BINARY;
#endif
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (self.parent_path().parent_path() / "vfiosim").string();
}

inline fs::path SourceDir() {
  if (const char* e = std::getenv("VFIOSIM_SOURCE_DIR"); e && *e) return e;
#ifdef VFIOSIM_SOURCE_DIR
  return VFIOSIM_SOURCE_DIR;
#else
  return fs::current_path();
#endif
}

// A file under scenarios/, by its path relative to it.
inline std::string Scn(const std::string& rel) { return (SourceDir() / "scenarios" / rel).string(); }

inline std::string ReadAll(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void WriteAll(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
}

// A scratch directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "vfiosim-cli-XXXXXX").string();
    char* d = mkdtemp(tmpl.data());
    if (!d) std::abort();
    path_ = d;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path Write(const std::string& name, const std::string& text) const {
    WriteAll(path_ / name, text);
    return path_ / name;
  }

 private:
  fs::path path_;
};

struct Result {
  int status = -1;    // exit status; 128 + signal when killed by one
  bool timed_out = false;
  double seconds = 0;
  std::string out, err;
  std::string LastLine() const {
    std::string s = out;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    const size_t nl = s.rfind('\n');
    return nl == std::string::npos ? s : s.substr(nl + 1);
  }
};

inline std::ostream& operator<<(std::ostream& os, const Result& r) {
  constexpr size_t kMax = 4000;
  auto cut = [&](const std::string& s) { return s.size() > kMax ? s.substr(0, kMax) + "...(truncated)" : s; };
  return os << "exit " << r.status << (r.timed_out ? " (timed out)" : "") << " after " << r.seconds
            << "s\n--- stdout:\n"
            << cut(r.out) << "--- stderr:\n"
            << cut(r.err);
}

// Runs the tool with `args`; stdout and stderr go to files (no pipe deadlock).
// as_limit: RLIMIT_AS of the child in bytes (0: none).
inline Result RunTool(const std::vector<std::string>& args, int timeout_s = 300, uint64_t as_limit = 0) {
  TempDir io;
  const std::string out = (io.path() / "out").string(), err = (io.path() / "err").string();
  const std::string bin = Binary();
  std::vector<std::string> argv_s{bin};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(126);
    if (as_limit) {
      const rlimit rl{as_limit, as_limit};
      if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(126);
    }
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  Result r;
  if (pid < 0) return r;
  int ws = 0;
  for (;;) {
    const pid_t w = waitpid(pid, &ws, WNOHANG);
    if (w == pid) break;
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(timeout_s)) {
      kill(pid, SIGKILL);
      waitpid(pid, &ws, 0);
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
  r.out = ReadAll(out);
  r.err = ReadAll(err);
  return r;
}

}  // namespace vfiosim_test
