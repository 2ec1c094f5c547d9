// The objects an emulated library has handed out (handles, descriptors), each with its kind, so a
// pointer that was destroyed, never made or is of another kind is refused instead of read after
// free, where the real library would crash or read garbage. One per library, header-only: each
// library is its own shared object.
#pragma once
#include <mutex>
#include <unordered_map>

namespace ddp4j_emu {

template <class Kind>
class LiveObjects {
 public:
  template <class T>
  T* remember(T* object, Kind kind) {
    std::lock_guard<std::mutex> g(lock_);
    kinds_[object] = kind;
    return object;
  }

  // The object at p, or null when p is not a live object of this kind.
  template <class T>
  T* find(const void* p, Kind kind) const {
    std::lock_guard<std::mutex> g(lock_);
    auto it = kinds_.find(p);
    return it != kinds_.end() && it->second == kind ? static_cast<T*>(const_cast<void*>(p)) : nullptr;
  }

  // Whether p was a live object of this kind (it is not any more).
  bool forget(const void* p, Kind kind) {
    std::lock_guard<std::mutex> g(lock_);
    auto it = kinds_.find(p);
    if (it == kinds_.end() || it->second != kind) return false;
    kinds_.erase(it);
    return true;
  }

 private:
  mutable std::mutex lock_;
  std::unordered_map<const void*, Kind> kinds_;
};

// The live objects of the library whose kinds `Kind` lists: made on first use and never freed,
// as objects may be looked up until the process exits.
template <class Kind>
LiveObjects<Kind>& live_objects() {
  static auto* objects = new LiveObjects<Kind>();
  return *objects;
}

}  // namespace ddp4j_emu
