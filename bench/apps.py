"""Build the benchmark applications: the template's example application (startup, remap,
SysTick + USART1 interrupts) plus a generated module of realistic code (bench/gen_pad.py),
linked with the template's linker script to an exact payload size.

Used by bench/run.py; runnable alone:  python3 bench/apps.py FW_DIR OUT_DIR
"""
import glob
import hashlib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TEMPLATE = os.path.join(ROOT, "target", "app_template")
APPLIB = os.path.join(ROOT, "target", "f0boot_app")      # the application library
COMMON = os.path.join(ROOT, "target", "common")
CC = "arm-none-eabi-gcc"
OBJCOPY = "arm-none-eabi-objcopy"
PART_CODE = 4  # stm32f030xc in include/f0boot/parts.def
PAGE = 2048

# The firmware build's flags (cmake/arm-none-eabi.cmake and FW_FLAGS in target/CMakeLists.txt).
CFLAGS = ["-mcpu=cortex-m0", "-mthumb", "-Os", "-std=gnu11", "-ffunction-sections", "-fdata-sections",
          "-ffreestanding", "-fno-common", "-fno-delete-null-pointer-checks",
          "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wstrict-prototypes", "-Wmissing-prototypes",
          "-DF0B_PART_CODE=%d" % PART_CODE,
          "-I" + os.path.join(ROOT, "include"), "-I" + COMMON, "-I" + TEMPLATE, "-I" + APPLIB]


class BuildError(Exception):
    pass


def run(cmd, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if p.returncode != 0:
        raise BuildError("command failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stdout))
    return p.stdout


def find_layout_ld(fw_dir):
    """The per-part memory layout the firmware build generates (f0b_layout.ld)."""
    d = os.path.join(fw_dir, "bootloader")
    if not os.path.exists(os.path.join(d, "f0b_layout.ld")):
        raise BuildError("no f0b_layout.ld in %s: build the firmware first "
                         "(cmake --build <host build dir> --target firmware)" % d)
    return d


def template_sources():
    # The template's own example application and startup: everything but main.c is what a
    # user copies; main.c is the example with its interrupts, kept as the application.
    return sorted(glob.glob(os.path.join(TEMPLATE, "*.c")) +
                  glob.glob(os.path.join(APPLIB, "*.c")))


def compile_obj(src, obj, extra=()):
    run([CC] + CFLAGS + list(extra) + ["-c", src, "-o", obj])
    return obj


def template_objs(out_dir, variant, exclude_main=False):
    # The template is another helper's code: built with its flags but without -Werror, so
    # a warning there does not stop the benchmark.
    d = os.path.join(out_dir, "template%d" % variant)
    os.makedirs(d, exist_ok=True)
    objs = []
    for src in template_sources():
        if exclude_main and src.endswith("/main.c"):
            continue
        obj = os.path.join(d, os.path.basename(src)[:-2] + ".o")
        compile_obj(src, obj, ["-Wno-error", "-DAPP_VERSION=\"1.0.0\""])
        objs.append(obj)
    return objs


def link(out_dir, name, count, fill, variant, layout_dir, objs):
    """Generate the padding module (compiled again only when count/variant change) and the
    filler, link; return (elf, bin, bin size)."""
    os.makedirs(out_dir, exist_ok=True)
    pad_c = os.path.join(out_dir, name + "_pad.c")
    pad_o = pad_c[:-2] + ".o"
    key = "%d %d" % (count, variant)
    if not os.path.exists(pad_o) or not os.path.exists(pad_o + ".key") or open(pad_o + ".key").read() != key:
        run([sys.executable, os.path.join(HERE, "gen_pad.py"), "--count", str(count),
             "--variant", str(variant), "-o", pad_c])
        compile_obj(pad_c, pad_o)
        with open(pad_o + ".key", "w") as f:
            f.write(key)
    fill_c = os.path.join(out_dir, name + "_fill.c")
    run([sys.executable, os.path.join(HERE, "gen_pad.py"), "--fill", str(fill), "--fill-output", fill_c])
    fill_o = compile_obj(fill_c, fill_c[:-2] + ".o")
    elf = os.path.join(out_dir, name + ".elf")
    binf = os.path.join(out_dir, name + ".bin")
    run([CC] + CFLAGS[:2] + objs + [pad_o, fill_o] +
        ["-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections", "-Wl,-u,bench_pad_root",
         "-L" + layout_dir, "-L" + COMMON, "-T", os.path.join(TEMPLATE, "app.ld"),
         "-Wl,-Map," + os.path.join(out_dir, name + ".map"), "-o", elf])
    run([OBJCOPY, "-O", "binary", elf, binf])
    return elf, binf, os.path.getsize(binf)


def stamp_of(layout_dir):
    h = hashlib.sha256()
    for f in sorted(template_sources() + [os.path.join(HERE, "gen_pad.py"), __file__,
                                          os.path.join(TEMPLATE, "app.ld"),
                                          os.path.join(COMMON, "sections.ld"),
                                          os.path.join(layout_dir, "f0b_layout.ld")]
                    + glob.glob(os.path.join(COMMON, "*.h"))):
        with open(f, "rb") as fh:
            h.update(f.encode() + b"\0" + fh.read())
    return h.hexdigest()


def build_sized(out_dir, name, target, layout_dir, variant=0, log=None):
    """An application whose flash image (the container payload) is exactly `target` bytes."""
    stamp_file = os.path.join(out_dir, name + ".stamp")
    want = "%s %d %d" % (stamp_of(layout_dir), target, variant)
    binf = os.path.join(out_dir, name + ".bin")
    if os.path.exists(stamp_file) and os.path.exists(binf) and open(stamp_file).read() == want:
        return os.path.join(out_dir, name + ".elf"), binf
    objs = template_objs(out_dir, variant)
    _, _, base = link(out_dir, name, 0, 0, variant, layout_dir, objs)
    _, _, s100 = link(out_dir, name, 100, 0, variant, layout_dir, objs)
    per_fn = (s100 - base) / 100.0
    count = max(0, int((target - base - 1024) / per_fn))
    while True:
        _, _, size = link(out_dir, name, count, 0, variant, layout_dir, objs)
        if size <= target - 64 or count == 0:
            break
        count = max(0, count - int((size - target + 64) / per_fn) - 2)
    fill = target - size + 1  # the size above had a 1-byte filler
    for _ in range(6):
        elf, binf, size = link(out_dir, name, count, fill, variant, layout_dir, objs)
        if size == target:
            break
        fill += target - size  # alignment of the sections after the filler
    if size != target:
        raise BuildError("%s: could not reach %d bytes (got %d)" % (name, target, size))
    if log:
        log("%s: %d bytes, %d generated functions + %d bytes of table" % (name, size, count, fill))
    with open(stamp_file, "w") as f:
        f.write(want)
    return elf, binf


def changed_pages(bin_a, bin_b, page=PAGE):
    a = open(bin_a, "rb").read()
    b = open(bin_b, "rb").read()
    n = max(len(a), len(b))
    return [i // page for i in range(0, n, page) if a[i:i + page] != b[i:i + page]]


SIZES = {"16k": 16 * 1024, "64k": 64 * 1024, "200k": 200 * 1024}


def build_all(fw_dir, out_dir, log=print):
    layout_dir = find_layout_ld(fw_dir)
    apps = {}
    for name, size in SIZES.items():
        apps[name] = build_sized(out_dir, "app" + name, size, layout_dir, 0, log)
    # The 200 KB application again with a recalibrated table: one 2 KB page differs.
    apps["200k_b"] = build_sized(out_dir, "app200k_b", SIZES["200k"], layout_dir, 1, log)
    pages = changed_pages(apps["200k"][1], apps["200k_b"][1])
    if len(pages) != 1:
        raise BuildError("app200k_b differs from app200k in pages %s, expected exactly one" % pages)
    return apps, pages[0]


def build_mips(out_dir, layout_dir):
    """The CPU-bound workload for f0sim --fast: the 64 KB padding called in a loop."""
    objs = template_objs(out_dir, 0, exclude_main=True)
    objs.append(compile_obj(os.path.join(HERE, "mips.c"), os.path.join(out_dir, "mips_main.o")))
    elf, _, _ = link(out_dir, "mips", 200, 0, 0, layout_dir, objs)
    return elf


if __name__ == "__main__":
    apps, page = build_all(sys.argv[1], sys.argv[2])
    for k, v in apps.items():
        print(k, v[1], os.path.getsize(v[1]))
    print("changed page:", page)
