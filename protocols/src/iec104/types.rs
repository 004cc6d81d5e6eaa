//! Codes and flags: type identifications with their names, causes of transmission, and
//! the closed set of anomaly reasons (IEC 60870-5-101 section 7.2.1 table 8 and 7.2.3
//! table 14; IEC 60870-5-104 section 8 for the types 104 adds).

/// snake_case name of a type identification (the standard's mnemonic, lower case).
pub fn type_name(t: u8) -> &'static str {
    match t {
        1 => "m_sp_na_1",
        2 => "m_sp_ta_1",
        3 => "m_dp_na_1",
        4 => "m_dp_ta_1",
        5 => "m_st_na_1",
        6 => "m_st_ta_1",
        7 => "m_bo_na_1",
        8 => "m_bo_ta_1",
        9 => "m_me_na_1",
        10 => "m_me_ta_1",
        11 => "m_me_nb_1",
        12 => "m_me_tb_1",
        13 => "m_me_nc_1",
        14 => "m_me_tc_1",
        15 => "m_it_na_1",
        16 => "m_it_ta_1",
        17 => "m_ep_ta_1",
        18 => "m_ep_tb_1",
        19 => "m_ep_tc_1",
        20 => "m_ps_na_1",
        21 => "m_me_nd_1",
        30 => "m_sp_tb_1",
        31 => "m_dp_tb_1",
        32 => "m_st_tb_1",
        33 => "m_bo_tb_1",
        34 => "m_me_td_1",
        35 => "m_me_te_1",
        36 => "m_me_tf_1",
        37 => "m_it_tb_1",
        38 => "m_ep_td_1",
        39 => "m_ep_te_1",
        40 => "m_ep_tf_1",
        45 => "c_sc_na_1",
        46 => "c_dc_na_1",
        47 => "c_rc_na_1",
        48 => "c_se_na_1",
        49 => "c_se_nb_1",
        50 => "c_se_nc_1",
        51 => "c_bo_na_1",
        58 => "c_sc_ta_1",
        59 => "c_dc_ta_1",
        60 => "c_rc_ta_1",
        61 => "c_se_ta_1",
        62 => "c_se_tb_1",
        63 => "c_se_tc_1",
        64 => "c_bo_ta_1",
        70 => "m_ei_na_1",
        100 => "c_ic_na_1",
        101 => "c_ci_na_1",
        102 => "c_rd_na_1",
        103 => "c_cs_na_1",
        104 => "c_ts_na_1",
        105 => "c_rp_na_1",
        106 => "c_cd_na_1",
        107 => "c_ts_ta_1",
        110 => "p_me_na_1",
        111 => "p_me_nb_1",
        112 => "p_me_nc_1",
        113 => "p_ac_na_1",
        120 => "f_fr_na_1",
        121 => "f_sr_na_1",
        122 => "f_sc_na_1",
        123 => "f_ls_na_1",
        124 => "f_af_na_1",
        125 => "f_sg_na_1",
        126 => "f_dr_ta_1",
        127 => "f_sc_nb_1",
        _ => "unknown",
    }
}

/// Types whose element ends with a CP56Time2a.
pub fn has_cp56(t: u8) -> bool {
    matches!(t, 30..=40 | 58..=64 | 103 | 107 | 126)
}

/// Command types: process commands (45-51, 58-64).
pub fn is_command(t: u8) -> bool {
    matches!(t, 45..=51 | 58..=64)
}

/// Causes of transmission (101 section 7.2.3).
pub mod cot {
    pub const ACTIVATION: u8 = 6;
    pub const ACTIVATION_CON: u8 = 7;
    pub const DEACTIVATION: u8 = 8;
    pub const DEACTIVATION_CON: u8 = 9;
    pub const ACTIVATION_TERM: u8 = 10;
}

pub fn cot_name(c: u8) -> &'static str {
    match c {
        1 => "periodic",
        2 => "background",
        3 => "spontaneous",
        4 => "initialized",
        5 => "request",
        6 => "activation",
        7 => "activation_con",
        8 => "deactivation",
        9 => "deactivation_con",
        10 => "activation_term",
        11 => "return_remote",
        12 => "return_local",
        13 => "file_transfer",
        20..=36 => "interrogated",
        37..=41 => "counter_interrogated",
        44 => "unknown_type",
        45 => "unknown_cause",
        46 => "unknown_common_address",
        47 => "unknown_ioa",
        _ => "reserved",
    }
}

/// Why a unit was malformed or lost: the `reason` of a `parse_error` event. A closed
/// set: it labels a metric.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Anomaly {
    /// Bytes that do not start with 0x68 were skipped to the next start octet.
    NotIec104,
    /// APDU length below 4.
    LengthOutOfRange,
    /// An S or U frame with more than its control field, or a U frame with an invalid
    /// function.
    BadControl,
    /// The ASDU ends before its data unit identifier or its objects.
    TruncatedAsdu,
    /// Bytes after the last information object.
    TrailingBytes,
    /// A type identification the standard does not define.
    UnknownType,
    /// An ASDU with no information object.
    NoObjects,
    /// An I frame whose send sequence number is not the next one.
    SequenceGap,
    /// A receive sequence number acknowledging frames the peer never sent.
    AckOutOfWindow,
}

impl Anomaly {
    pub const ALL: [Anomaly; 9] = [
        Anomaly::NotIec104,
        Anomaly::LengthOutOfRange,
        Anomaly::BadControl,
        Anomaly::TruncatedAsdu,
        Anomaly::TrailingBytes,
        Anomaly::UnknownType,
        Anomaly::NoObjects,
        Anomaly::SequenceGap,
        Anomaly::AckOutOfWindow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Anomaly::NotIec104 => "not_iec104",
            Anomaly::LengthOutOfRange => "length_out_of_range",
            Anomaly::BadControl => "bad_control",
            Anomaly::TruncatedAsdu => "truncated_asdu",
            Anomaly::TrailingBytes => "trailing_bytes",
            Anomaly::UnknownType => "unknown_type",
            Anomaly::NoObjects => "no_objects",
            Anomaly::SequenceGap => "sequence_gap",
            Anomaly::AckOutOfWindow => "ack_out_of_window",
        }
    }
}
