//! What column names say about their content, in the languages electoral authorities publish in.
//!
//! Two kinds of knowledge: exact names of the count roles (`registered`, `ballots_cast`, `valid`,
//! `null`, `blank`), matched on the normalised header (`normalise`), and a word-level classifier
//! (`count_word`) that recognises a header as a count, a subtotal, a code or a flag from any of its
//! words, so that such a column is never taken as a candidate even when its role cannot be placed.
//! Languages covered: English, Spanish, French, Portuguese, German, Russian, with the abbreviations
//! seen in real files (`Reg.Voters`, `V.Votes`, `T.Votes`, `In.Votes`, `ln` for Mexico's *lista
//! nominal*, `NON_REP`). A word list is data, not logic: extend it when a real file needs it, with a
//! test in `tests.rs`.

/// A header reduced to lowercase words joined by `_` (Latin accents dropped; other scripts kept).
pub fn normalise(header: &str) -> String {
    let mut out = String::new();
    for c in header.trim().to_lowercase().chars() {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' | 'ã' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            'ß' => 's',
            'ё' => 'е',
            c => c,
        };
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

pub const REGISTERED: &[&str] = &[
    "registered",
    "registered_voters",
    "reg_voters",
    "voters_registered",
    "electors",
    "electorate",
    "eligible",
    "eligible_voters",
    "inscritos",
    "electores",
    "electores_inscritos",
    "habilitados",
    "registrados",
    "re",
    "ln",
    "lista_nominal",
    "inscrits",
    "electeurs_inscrits",
    "eleitores",
    "eleitorado",
    "eleitores_aptos",
    "aptos",
    "wahlberechtigte",
    "stimmberechtigte",
    "избиратели",
    "число_избирателей",
];
pub const BALLOTS: &[&str] = &[
    "ballots_cast",
    "ballots",
    "votes_cast",
    "total_votes",
    "t_votes",
    "total_ballots",
    "turnout_count",
    "votantes",
    "emitidos",
    "votos_emitidos",
    "sufragantes",
    "total_votos",
    "voters_voted",
    "votants",
    "comparecimento",
    "comparecentes",
    "wahler",
    "waehler",
    "бюллетени",
    "проголосовали",
];
pub const VALID: &[&str] = &[
    "valid",
    "valid_votes",
    "v_votes",
    "valid_ballots",
    "validos",
    "votos_validos",
    "exprimes",
    "suffrages_exprimes",
    "votos_validos_totales",
    "gultige",
    "gultige_stimmen",
    "gueltige",
    "gueltige_stimmen",
    "действительные",
];
pub const NULL: &[&str] = &[
    "null",
    "null_votes",
    "nulls",
    "invalid",
    "invalid_votes",
    "in_votes",
    "inv_votes",
    "invalid_ballots",
    "spoiled",
    "spoilt",
    "rejected",
    "nulos",
    "votos_nulos",
    "nuls",
    "bulletins_nuls",
    "votos_nulos_totales",
    "ungultige",
    "ungultige_stimmen",
    "ungueltige",
    "ungueltige_stimmen",
    "недействительные",
];
pub const BLANK: &[&str] = &[
    "blank",
    "blank_votes",
    "blank_ballots",
    "blancos",
    "votos_blancos",
    "votos_en_blanco",
    "blancs",
    "bulletins_blancs",
    "brancos",
    "votos_brancos",
    "em_branco",
];
pub const KEY: &[&str] = &[
    "station_id",
    "polling_station_id",
    "polling_station",
    "station",
    "precinct_id",
    "precinct",
    "table_id",
    "table",
    "acta",
    "id_mesa",
    "numero_mesa",
    "cod_mesa",
    "codigo_mesa",
    "mesa",
    "id",
    "bureau",
    "bureau_de_vote",
    "secao",
    "wahlbezirk",
    "уик",
    "reporting_unit",
    "ward_id",
    "stembureau",
    "bureau_nummer",
    "uik",
];
/// Region columns by rank (0 = top). Columns of different ranks nest in rank order (País >
/// Departamento > Provincia > Municipio > ... in Bolivia); columns of the same rank (e.g.
/// Municipio and Distrito) are ordered by the data (`order_regions`).
pub const REGION_LEVELS: &[&[&str]] = &[
    &["country", "pais"],
    &[
        "region",
        "state",
        "estado",
        "departamento",
        "department",
        "edo",
        "land",
        "bundesland",
        "oblast",
        "регион",
        "субъект",
    ],
    &["province", "provincia"],
    &[
        "district",
        "municipality",
        "municipio",
        "county",
        "distrito",
        "canton",
        "mun",
        "kreis",
        "commune",
        "gemeente",
        "тик",
        "tik",
    ],
    &["parish", "parroquia", "ward", "localidad", "comuna", "par"],
    &["centre", "center", "centro", "recinto", "polling_place"],
];
pub const LONG_CANDIDATE: &[&str] = &[
    "candidate",
    "candidato",
    "candidate_name",
    "party",
    "partido",
    "lista",
    "list",
];
pub const LONG_VOTES: &[&str] = &["votes", "votos", "vote_count", "count"];

/// What a header's words say it holds, when that is not a candidate's votes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountWord {
    Total,
    Registered,
    Ballots,
    Valid,
    Invalid,
    Blank,
    /// "Others", "rest": a subtotal of the candidates not listed.
    Others,
    /// Codes, identifiers, numbers, coordinates.
    Code,
    /// Flags and statuses (`NON_REP`, `estatus`).
    Flag,
    /// Percentages and rates.
    Share,
    /// Ballots received, cancelled, lost or unused, absentee certificates: the paperwork of a
    /// station, not votes (Russian protocols, Latin American actas).
    Administrative,
}

impl CountWord {
    pub fn describe(self) -> &'static str {
        match self {
            CountWord::Total => "a total",
            CountWord::Registered => "registered voters",
            CountWord::Ballots => "ballots cast",
            CountWord::Valid => "valid votes",
            CountWord::Invalid => "invalid (null) votes",
            CountWord::Blank => "blank votes",
            CountWord::Others => "the other candidates together",
            CountWord::Code => "a code or identifier",
            CountWord::Flag => "a flag or status",
            CountWord::Share => "a percentage",
            CountWord::Administrative => {
                "an administrative count (ballots received, cancelled or unused; certificates)"
            }
        }
    }
}

/// Checked in this order, most specific first: `porcentaje_votos_validos` is a share, not valid
/// votes; `votos_nulos_totales` is invalid votes, not a total.
const WORDS: &[(CountWord, &[&str])] = &[
    (
        CountWord::Administrative,
        &[
            "удостоверений",
            "удостоверения",
            "удостоверениям",
            "погашенных",
            "полученных",
            "получении",
            "утраченных",
            "неиспользованных",
            "учтенных",
            "received",
            "cancelled",
            "canceled",
            "unused",
            "lost",
            "certificates",
            "sobrantes",
            "inutilizadas",
            "inutilizados",
            "recibidas",
            "recibidos",
        ],
    ),
    (
        CountWord::Share,
        &[
            "percent",
            "percentage",
            "pct",
            "porcentaje",
            "porcentagem",
            "pourcentage",
            "prozent",
            "anteil",
            "rate",
            "tasa",
            "процент",
        ],
    ),
    (
        CountWord::Code,
        &[
            "code",
            "cod",
            "codigo",
            "id",
            "key",
            "clave",
            "nr",
            "num",
            "numero",
            "number",
            "lat",
            "lon",
            "lng",
            "latitude",
            "longitude",
            "year",
            "ano",
            "url",
            "zip",
            "код",
            "номер",
        ],
    ),
    (
        CountWord::Flag,
        &[
            "flag",
            "status",
            "statut",
            "estatus",
            "situacion",
            "situacao",
            "non",
            "nonrep",
            "reporting",
            "reported",
            "computed",
            "contabilizada",
            "contabilizadas",
            "observaciones",
            "tipo",
            "type",
            "bandera",
        ],
    ),
    (
        CountWord::Invalid,
        &[
            "invalid",
            "invalidos",
            "null",
            "nulls",
            "nulos",
            "nulas",
            "nuls",
            "nulo",
            "nula",
            "spoiled",
            "spoilt",
            "rejected",
            "void",
            "ungultige",
            "ungueltige",
            "ungultig",
            "недействительных",
            "недействительные",
            "anulados",
            "anuladas",
        ],
    ),
    (
        CountWord::Blank,
        &[
            "blank",
            "blancos",
            "blancas",
            "blancs",
            "brancos",
            "branco",
            "leer",
            "leere",
            "пустые",
        ],
    ),
    (
        CountWord::Valid,
        &[
            "valid",
            "validos",
            "validas",
            "valides",
            "validos",
            "exprimes",
            "gultige",
            "gueltige",
            "gultig",
            "действительных",
            "действительные",
        ],
    ),
    (
        CountWord::Others,
        &[
            "others",
            "other",
            "otros",
            "otras",
            "otro",
            "autres",
            "outros",
            "sonstige",
            "andere",
            "прочие",
            "rest",
            "resto",
            "misc",
        ],
    ),
    (
        CountWord::Registered,
        &[
            "registered",
            "reg",
            "registrados",
            "inscritos",
            "inscrits",
            "electors",
            "electores",
            "electeurs",
            "eleitores",
            "eleitorado",
            "electorate",
            "eligible",
            "habilitados",
            "wahlberechtigte",
            "stimmberechtigte",
            "berechtigte",
            "избиратели",
            "избирателей",
            "ln",
            "nominal",
            "roll",
            "enrolled",
            "aptos",
        ],
    ),
    (
        CountWord::Ballots,
        &[
            "ballots",
            "ballot",
            "cast",
            "votantes",
            "votants",
            "votaram",
            "sufragantes",
            "emitidos",
            "emitidas",
            "turnout",
            "participation",
            "participacion",
            "бюллетеней",
            "бюллетени",
            "проголосовали",
            "явка",
            "comparecimento",
            "comparecentes",
            "papeletas",
            "boletas",
            "bulletins",
        ],
    ),
    (
        CountWord::Total,
        &[
            "total",
            "totales",
            "totals",
            "tot",
            "totaal",
            "subtotal",
            "gesamt",
            "insgesamt",
            "summe",
            "sum",
            "итого",
            "всего",
        ],
    ),
];

/// Words meaning "votes", after which a short abbreviation names a count (`V.Votes`, `T.Votes`).
const VOTES_WORDS: &[&str] = &[
    "votes",
    "vote",
    "votos",
    "voto",
    "voix",
    "stimmen",
    "голоса",
];

// Not "wähler" among the words: the German party FREIE WÄHLER is a candidate; the exact header
// "Wähler" (voters who voted) is in `BALLOTS`.

/// What the header's words say the column holds, if not votes for one candidate.
/// `normalised` is the output of `normalise`.
pub fn count_word(normalised: &str) -> Option<CountWord> {
    let words: Vec<&str> = normalised.split('_').filter(|w| !w.is_empty()).collect();
    for &(kind, list) in WORDS {
        if words.iter().any(|w| list.contains(w)) {
            return Some(kind);
        }
    }
    // Legacy prefixes glued to a word: `codmesa`, `numvotes`, `idmun`.
    const PREFIX: &[&str] = &["cod", "code", "codigo", "numero", "id_", "no_"];
    const SUFFIX: &[&str] = &["_id", "_code", "_cod", "_no", "_nr", "_number"];
    if PREFIX.iter().any(|p| normalised.starts_with(p))
        || SUFFIX.iter().any(|s| normalised.ends_with(s))
        || matches!(normalised, "x" | "y")
    {
        return Some(CountWord::Code);
    }
    // "V.Votes", "T.Votes", "In.Votes", "NV votes": an abbreviation of one to three letters
    // before a word for votes names a count of the station, not a party.
    if let [abbrev, votes] = words.as_slice() {
        if VOTES_WORDS.contains(votes) && abbrev.chars().count() <= 3 {
            return Some(match *abbrev {
                "v" | "val" | "vv" => CountWord::Valid,
                "in" | "inv" | "iv" | "nv" | "n" => CountWord::Invalid,
                "b" | "bl" => CountWord::Blank,
                _ => CountWord::Total,
            });
        }
    }
    None
}
