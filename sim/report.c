/*
 * What f0sim reports at the end of a run: its exit code, the JSON summary (--summary) and
 * the block profile (--profile).
 */
#include "report.h"

#include "exit_codes.h"
#include "json.h"
#include "files.h"

int exit_code_for(const struct chip *c)
{
    switch (c->stop) {
    case STOP_HARDFAULT:
    case STOP_LOCKUP: return SIM_EXIT_FAULT;
    case STOP_TIME: return c->o.until_uart ? SIM_EXIT_TIMEOUT : F0B_EXIT_OK;
    case STOP_SLEEP_FOREVER: return SIM_EXIT_STUCK;
    case STOP_ERROR: return SIM_EXIT_STRICT;
    default: return F0B_EXIT_OK;
    }
}

int write_profile(const char *path, const struct chip *c)
{
    struct outfile o;
    FILE *f = out_open(&o, path, "w", 1);
    if (!f)
        return -1;
    return out_close(&o, chip_profile_write(c, f) == 0);
}

int write_summary(const char *path, const struct chip *c, int code, double host_s, double cpu)
{
    struct outfile o;
    FILE *f = out_open(&o, path, "w", 1);
    if (!f)
        return -1;
    struct json j;
    json_begin(&j, f);
    json_str(&j, "part", c->o.part->name);
    json_str(&j, "boot", c->o.boot_rom ? "rom" : "flash");
    json_str(&j, "stop_reason", stop_reason_name(c->stop));
    json_str(&j, "stop_detail", c->stop_detail);
    json_hex32(&j, "stop_pc", c->stop_pc);
    json_i64(&j, "exit_code", code);
    json_dbl(&j, "virtual_ms", (double)c->now / PS_PER_MS);
    json_u64(&j, "instructions", c->st.insns);
    json_u64(&j, "cycles", c->st.cycles);
    json_dbl(&j, "host_seconds", host_s);
    json_dbl(&j, "host_cpu_seconds", cpu);
    json_dbl(&j, "instructions_per_second", cpu > 0 ? (double)c->st.insns / cpu : 0.0);
    json_dbl(&j, "realtime_factor", cpu > 0 ? (double)c->now / PS_PER_MS / 1000.0 / cpu : 0.0);
    json_dbl(&j, "idle_skipped_ms", (double)c->idle_skipped_ps / PS_PER_MS);
    json_u64(&j, "resets", c->st.resets);
    json_u64(&j, "exceptions_taken", c->st.irqs_taken);
    json_u64(&j, "faults", c->st.faults);
    json_u64(&j, "unmodelled_accesses", c->st.unmodelled);
    json_obj(&j, "flash");
    json_u64(&j, "programs", c->st.prog_ops);
    json_u64(&j, "page_erases", c->st.page_erases);
    json_u64(&j, "mass_erases", c->st.mass_erases);
    json_u64(&j, "pgerr", c->st.prog_errors);
    json_u64(&j, "wrprterr", c->st.wrprt_errors);
    json_u64(&j, "option_byte_erases", c->st.ob_erases);
    json_u64(&j, "option_byte_programs", c->st.ob_programs);
    json_i64(&j, "rdp_level", ob_rdp_level(&c->ob));
    json_close(&j);
    json_obj(&j, "uart");
    json_u64(&j, "rx_bytes", c->st.uart_rx);
    json_u64(&j, "tx_bytes", c->st.uart_tx);
    json_u64(&j, "overruns", c->st.overruns);
    json_u64(&j, "rx_lost_while_disabled", c->st.rx_lost);
    json_close(&j);
    json_obj(&j, "faults_injected");
    json_bool(&j, "power_cut", c->stop == STOP_POWER_CUT);
    json_u64(&j, "flash_op_at_cut", c->stop == STOP_POWER_CUT ? c->flash_ops : 0);
    json_u64(&j, "noise_bit_flips", c->st.noise_flips);
    json_u64(&j, "noise_dropped_bytes", c->st.noise_drops);
    json_close(&j);
    if (c->rom.running || c->o.boot_rom) {
        json_obj(&j, "rom");
        json_u64(&j, "commands", c->rom.m.commands);
        json_u64(&j, "nacks", c->rom.m.nacks);
        json_close(&j);
    }
    json_end(&j);
    return out_close(&o, !ferror(f));
}
