/* ELF32 little-endian ARM reader (libelf): load content at physical addresses. */
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f0boot/le.h"
#include "internal.h"

#define SRAM_REGION_START 0x20000000u /* Cortex-M "SRAM" region of the memory map */
#define SRAM_REGION_END   0x40000000u

static const char *const vt_sections[] = {".isr_vector", ".vectors", ".vector_table",
                                          ".isr_vector_table"};
static const char *const vt_symbols[] = {"g_pfnVectors", "__vector_table", "__isr_vector",
                                         "vector_table", "__Vectors"};

static const char *machine_name(unsigned m)
{
    switch (m) {
    case 0: return "none";
    case 3: return "x86";
    case 8: return "MIPS";
    case 20: return "PowerPC";
    case 40: return "ARM";
    case 62: return "x86-64";
    case 183: return "AArch64";
    case 243: return "RISC-V";
    case 94: return "Xtensa";
    case 83: return "AVR";
    }
    return "other";
}

/* Checks on the raw identification bytes, so the refusals name the problem precisely
 * and libelf never has to convert byte order in our (const) buffer. */
static int check_ident(const uint8_t *buf, size_t len, struct f0b_img_error *err)
{
    unsigned type, machine;

    if (len < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG) != 0)
        return f0b_err_set(err, F0B_IMG_EFORMAT, 0, 0, "not an ELF file (no \\x7fELF magic)");
    if (buf[EI_CLASS] == ELFCLASS64)
        return f0b_err_set(err, F0B_IMG_EELF_CLASS, 0, EI_CLASS,
                           "64-bit ELF (ELFCLASS64): STM32F0 firmware is ELF32; this looks like "
                           "a host program, build the application with arm-none-eabi-gcc");
    if (buf[EI_CLASS] != ELFCLASS32)
        return f0b_err_set(err, F0B_IMG_EELF, 0, EI_CLASS,
                           "invalid ELF class byte %u at offset 4; the file is corrupt",
                           buf[EI_CLASS]);
    if (buf[EI_DATA] == ELFDATA2MSB)
        return f0b_err_set(err, F0B_IMG_EELF_ENDIAN, 0, EI_DATA,
                           "big-endian ELF (ELFDATA2MSB): the Cortex-M0 is little-endian; "
                           "build without -mbig-endian");
    if (buf[EI_DATA] != ELFDATA2LSB)
        return f0b_err_set(err, F0B_IMG_EELF, 0, EI_DATA,
                           "invalid ELF data-encoding byte %u at offset 5; the file is corrupt",
                           buf[EI_DATA]);
    if (len < sizeof(Elf32_Ehdr))
        return f0b_err_set(err, F0B_IMG_EELF, 0, (long)len,
                           "ELF header truncated (%zu of %zu bytes); the file is cut short", len,
                           sizeof(Elf32_Ehdr));
    machine = f0b_get_le16(buf + 18);
    if (machine != EM_ARM)
        return f0b_err_set(err, F0B_IMG_EELF_MACHINE, 0, 18,
                           "ELF for machine %u (%s), not ARM (EM_ARM = 40); build the "
                           "application with arm-none-eabi-gcc -mcpu=cortex-m0",
                           machine, machine_name(machine));
    type = f0b_get_le16(buf + 16);
    if (type != ET_EXEC)
        return f0b_err_set(err, F0B_IMG_EELF_TYPE, 0, 16,
                           "ELF type %u (%s), not an executable (ET_EXEC); link the "
                           "application and pack the linked .elf",
                           type,
                           type == ET_REL   ? "relocatable object"
                           : type == ET_DYN ? "shared object"
                                            : "other");
    return F0B_IMG_OK;
}

static int in_file(uint64_t off, uint64_t size, size_t len)
{
    return off <= len && size <= len - off;
}

static void add_ram(struct f0b_image *img, uint32_t start, uint64_t size, const char *name)
{
    struct f0b_ram_range *p;

    if (start < SRAM_REGION_START || start >= SRAM_REGION_END || size == 0)
        return;
    p = realloc(img->ram, (img->nram + 1) * sizeof *p);
    if (!p)
        return; /* lint then sees fewer ranges; the caller still gets a usable image */
    img->ram = p;
    p[img->nram].start = start;
    p[img->nram].end = start + size > 0xFFFFFFFFull ? 0xFFFFFFFFu : (uint32_t)(start + size);
    snprintf(p[img->nram].name, sizeof p[img->nram].name, "%s", name);
    img->nram++;
}

static int is_vt_section(const char *name)
{
    for (size_t i = 0; i < sizeof vt_sections / sizeof vt_sections[0]; i++)
        if (strcmp(name, vt_sections[i]) == 0)
            return 1;
    return 0;
}

/* Size of a vector-table symbol, if the symbol table has one. */
static void vt_from_symbols(Elf *elf, const uint8_t *buf, size_t len, struct f0b_image *img)
{
    Elf_Scn *scn = NULL;

    (void)buf;
    while ((scn = elf_nextscn(elf, scn)) != NULL) {
        GElf_Shdr sh;
        Elf_Data *d;
        size_t n;

        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
            continue;
        if (!in_file(sh.sh_offset, sh.sh_size, len))
            continue;
        d = elf_getdata(scn, NULL);
        if (!d)
            continue;
        n = sh.sh_size / sh.sh_entsize;
        for (size_t i = 0; i < n; i++) {
            GElf_Sym sym;
            const char *name;

            if (!gelf_getsym(d, (int)i, &sym) || sym.st_size == 0)
                continue;
            name = elf_strptr(elf, sh.sh_link, sym.st_name);
            if (!name)
                continue;
            for (size_t k = 0; k < sizeof vt_symbols / sizeof vt_symbols[0]; k++) {
                if (strcmp(name, vt_symbols[k]) == 0) {
                    img->vt_len = (uint32_t)sym.st_size;
                    img->vt_addr = (uint32_t)sym.st_value;
                    snprintf(img->vt_source, sizeof img->vt_source, "symbol %s", name);
                    return;
                }
            }
        }
    }
}

struct tag_ctx {
    Elf *elf;
    size_t shstrndx;
};

static void section_name(void *ctx, long tag, char *buf, size_t n)
{
    struct tag_ctx *c = ctx;
    Elf_Scn *scn = elf_getscn(c->elf, (size_t)tag);
    GElf_Shdr sh;
    const char *nm = NULL;

    if (scn && gelf_getshdr(scn, &sh))
        nm = elf_strptr(c->elf, c->shstrndx, sh.sh_name);
    snprintf(buf, n, "section %s", nm ? nm : "?");
}

static void phdr_name(void *ctx, long tag, char *buf, size_t n)
{
    (void)ctx;
    snprintf(buf, n, "program header %ld", tag);
}

int f0b_read_elf(const uint8_t *buf, size_t len, struct f0b_image *img, struct f0b_img_error *err)
{
    Elf *elf = NULL;
    GElf_Phdr *ph = NULL;
    size_t phnum = 0, shnum = 0, shstrndx = 0;
    int have_sections;
    struct f0b_pieces ps = {0};
    int rc;

    if (len == 0)
        return f0b_err_set(err, F0B_IMG_EEMPTY, 0, 0, "the input file is empty");
    rc = check_ident(buf, len, err);
    if (rc)
        return rc;
    img->format = F0B_FMT_ELF;

    elf_version(EV_CURRENT);
    /* elf_memory() does not write to the image for a read of a same-endian file. */
    elf = elf_memory((char *)(uintptr_t)buf, len);
    if (!elf || elf_kind(elf) != ELF_K_ELF) {
        rc = f0b_err_set(err, F0B_IMG_EELF, 0, -1, "malformed ELF: %s", elf_errmsg(-1));
        goto done;
    }
    if (elf_getphdrnum(elf, &phnum) != 0) {
        rc = f0b_err_set(err, F0B_IMG_EELF, 0, 28,
                         "malformed ELF program header table: %s; the file is truncated or "
                         "corrupt",
                         elf_errmsg(-1));
        goto done;
    }
    if (phnum == 0) {
        rc = f0b_err_set(err, F0B_IMG_ENODATA, 0, 44,
                         "the ELF has no program headers, so nothing says where to load it; "
                         "pack the linked executable, not a stripped or partial file");
        goto done;
    }
    {
        GElf_Ehdr eh;
        if (!gelf_getehdr(elf, &eh) ||
            !in_file(eh.e_phoff, (uint64_t)phnum * eh.e_phentsize, len) ||
            eh.e_phentsize != sizeof(Elf32_Phdr)) {
            rc = f0b_err_set(err, F0B_IMG_EELF, 0, 28,
                             "the ELF program header table (%zu entries) lies outside the file "
                             "(%zu bytes); the file is truncated or corrupt",
                             phnum, len);
            goto done;
        }
        /* libelf quietly treats an unreachable section table as "no sections". */
        if (eh.e_shnum && (eh.e_shentsize != sizeof(Elf32_Shdr) ||
                           !in_file(eh.e_shoff, (uint64_t)eh.e_shnum * eh.e_shentsize, len))) {
            rc = f0b_err_set(err, F0B_IMG_EELF, 0, 32,
                             "the ELF section header table (%u entries at offset 0x%llx) lies "
                             "outside the file (%zu bytes); the file is truncated or corrupt",
                             (unsigned)eh.e_shnum, (unsigned long long)eh.e_shoff, len);
            goto done;
        }
        img->entry = (uint32_t)eh.e_entry;
        img->has_entry = 1;
    }
    ph = calloc(phnum, sizeof *ph);
    if (!ph) {
        rc = f0b_err_set(err, F0B_IMG_ENOMEM, 0, -1, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < phnum; i++) {
        if (!gelf_getphdr(elf, (int)i, &ph[i])) {
            rc = f0b_err_set(err, F0B_IMG_EELF, 0, -1, "program header %zu unreadable: %s", i,
                             elf_errmsg(-1));
            goto done;
        }
        if (ph[i].p_type != PT_LOAD)
            continue;
        if (!in_file(ph[i].p_offset, ph[i].p_filesz, len)) {
            rc = f0b_err_set(err, F0B_IMG_EELF, 0, (long)ph[i].p_offset,
                             "program header %zu: %llu file bytes at offset 0x%llx run past the "
                             "end of the file (%zu bytes); the file is truncated or corrupt",
                             i, (unsigned long long)ph[i].p_filesz,
                             (unsigned long long)ph[i].p_offset, len);
            goto done;
        }
        if (ph[i].p_filesz > ph[i].p_memsz) {
            rc = f0b_err_set(err, F0B_IMG_EELF, 0, -1,
                             "program header %zu: file size %llu larger than memory size %llu; "
                             "the file is corrupt",
                             i, (unsigned long long)ph[i].p_filesz,
                             (unsigned long long)ph[i].p_memsz);
            goto done;
        }
    }

    if (elf_getshdrnum(elf, &shnum) != 0 || elf_getshdrstrndx(elf, &shstrndx) != 0) {
        rc = f0b_err_set(err, F0B_IMG_EELF, 0, 32,
                         "malformed ELF section header table: %s; the file is truncated or "
                         "corrupt",
                         elf_errmsg(-1));
        goto done;
    }
    have_sections = shnum > 1;

    if (have_sections) {
        /* objcopy -O binary semantics: the allocated, non-NOBITS sections, each at the
         * load address its segment gives it. Padding between sections is not content. */
        Elf_Scn *scn = NULL;
        while ((scn = elf_nextscn(elf, scn)) != NULL) {
            GElf_Shdr sh;
            const char *name;

            if (!gelf_getshdr(scn, &sh)) {
                rc = f0b_err_set(err, F0B_IMG_EELF, 0, -1, "section header unreadable: %s",
                                 elf_errmsg(-1));
                goto done;
            }
            name = elf_strptr(elf, shstrndx, sh.sh_name);
            if (!name)
                name = "?";
            if (!(sh.sh_flags & SHF_ALLOC) || sh.sh_size == 0)
                continue;
            /* Run-time RAM use (.data, .bss, stack, heap) for lint. */
            add_ram(img, (uint32_t)sh.sh_addr, sh.sh_size, name);
            if (sh.sh_type == SHT_NOBITS)
                continue;
            if (!in_file(sh.sh_offset, sh.sh_size, len)) {
                rc = f0b_err_set(err, F0B_IMG_EELF, 0, (long)sh.sh_offset,
                                 "section %s: %llu bytes at offset 0x%llx run past the end of "
                                 "the file (%zu bytes); the file is truncated or corrupt",
                                 name, (unsigned long long)sh.sh_size,
                                 (unsigned long long)sh.sh_offset, len);
                goto done;
            }
            for (size_t i = 0; i < phnum; i++) {
                uint64_t lma;
                if (ph[i].p_type != PT_LOAD || sh.sh_offset < ph[i].p_offset ||
                    sh.sh_offset + sh.sh_size > ph[i].p_offset + ph[i].p_filesz)
                    continue;
                lma = ph[i].p_paddr + (sh.sh_offset - ph[i].p_offset);
                if (lma > 0xFFFFFFFFull) {
                    rc = f0b_err_set(err, F0B_IMG_EWRAP, 0, -1,
                                     "section %s: load address 0x%llx is past 4 GiB; check "
                                     "the linker script",
                                     name, (unsigned long long)lma);
                    goto done;
                }
                rc = f0b_pieces_push(&ps, (uint32_t)lma, (uint32_t)sh.sh_size, (size_t)sh.sh_offset,
                                     (long)elf_ndxscn(scn), err);
                if (rc) {
                    f0b_err_prefix(err, "section %s: ", name);
                    goto done;
                }
                if (is_vt_section(name) && !img->vt_len) {
                    img->vt_len = (uint32_t)sh.sh_size;
                    img->vt_addr = (uint32_t)lma;
                    snprintf(img->vt_source, sizeof img->vt_source, "section %s", name);
                }
                break;
            }
        }
        if (!img->vt_len)
            vt_from_symbols(elf, buf, len, img);
    } else {
        for (size_t i = 0; i < phnum; i++) {
            if (ph[i].p_type != PT_LOAD)
                continue;
            rc = f0b_pieces_push(&ps, (uint32_t)ph[i].p_paddr, (uint32_t)ph[i].p_filesz,
                                 (size_t)ph[i].p_offset, (long)i, err);
            if (rc) {
                f0b_err_prefix(err, "program header %zu: ", i);
                goto done;
            }
        }
    }
    {
        struct tag_ctx tc = {elf, shstrndx};
        rc = f0b_image_from_pieces(img, &ps, buf, have_sections ? section_name : phdr_name, &tc,
                                   err);
        if (err)
            err->line = 0;
        if (rc)
            goto done;
    }
    for (size_t i = 0; i < phnum; i++) {
        char nm[32];
        if (ph[i].p_type != PT_LOAD)
            continue;
        snprintf(nm, sizeof nm, "PT_LOAD[%zu]", i);
        add_ram(img, (uint32_t)ph[i].p_vaddr, ph[i].p_memsz, nm);
    }
    if (!img->nseg)
        rc = f0b_err_set(err, F0B_IMG_ENODATA, 0, -1,
                         "the ELF has no loadable content (no PT_LOAD segment with file bytes): "
                         "nothing to program");
done:
    f0b_pieces_free(&ps);
    free(ph);
    if (elf)
        elf_end(elf);
    if (rc)
        f0b_image_free(img);
    return rc;
}
