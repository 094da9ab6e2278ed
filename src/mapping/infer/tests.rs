//! Tests of mapping inference, its vocabulary and its plausibility checks.

use super::*;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn normalises_headers() {
    assert_eq!(normalise(" Votos Válidos "), "votos_validos");
    assert_eq!(normalise("Número Mesa"), "numero_mesa");
    assert_eq!(normalise("MAS - IPSP"), "mas_ipsp");
}

#[test]
fn infers_the_venezuelan_layout() {
    let headers = strings(&[
        "COD_EDO",
        "EDO",
        "MUN",
        "CENTRO",
        "MESA",
        "RE",
        "VOTOS_VALIDOS",
        "VOTOS_NULOS",
        "EG",
        "NM",
        "URL",
    ]);
    let sample = vec![
        strings(&[
            "1", "DC", "LIB", "101", "1", "666", "364", "0", "232", "132", "http://x",
        ]),
        strings(&[
            "1", "DC", "LIB", "101", "2", "673", "372", "0", "260", "112", "http://y",
        ]),
        strings(&[
            "1", "DC", "LIB", "102", "1", "500", "300", "1", "200", "100", "http://z",
        ]),
    ];
    let (m, notes) = infer("ve", &headers, &sample).unwrap();
    assert_eq!(m.station.key, vec!["CENTRO", "MESA"]);
    assert_eq!(
        m.regions
            .iter()
            .map(|r| r.column.as_str())
            .collect::<Vec<_>>(),
        vec!["EDO", "MUN", "CENTRO"]
    );
    assert_eq!(m.counts.registered, Some(ColumnSum::One("RE".into())));
    assert_eq!(
        m.candidates
            .iter()
            .map(|c| c.display_name())
            .collect::<Vec<_>>(),
        vec!["EG", "NM"]
    );
    assert!(notes[0].contains("inferred"));
}

#[test]
fn infers_spanish_long_layout() {
    let headers = strings(&[
        "estado",
        "mesa",
        "electores_inscritos",
        "candidato",
        "votos",
    ]);
    let sample = vec![
        strings(&["A", "1", "100", "Ana", "40"]),
        strings(&["A", "1", "100", "Bea", "30"]),
    ];
    let (m, _) = infer("x", &headers, &sample).unwrap();
    assert_eq!(m.dataset.layout, Layout::Long);
    assert_eq!(m.long.unwrap().votes_column, "votos");
}

#[test]
fn ambiguity_and_missing_key_say_what_to_write() {
    let headers = strings(&["station_id", "valid", "votos_validos", "a"]);
    let err = infer("d", &headers, &[]).unwrap_err().to_string();
    assert!(err.contains("[counts] valid = \"valid\""), "{err}");
    let headers = strings(&["region", "a", "b"]);
    let err = infer("d", &headers, &[strings(&["x", "1", "2"])])
        .unwrap_err()
        .to_string();
    assert!(err.contains("[station] key"), "{err}");
}

#[test]
fn infers_a_nested_region_hierarchy_in_order() {
    // Bolivia 2019's columns: before, Departamento and Provincia (and Municipio and Distrito)
    // were "ambiguous" region levels and inference stopped.
    let headers = strings(&[
        "Número Mesa",
        "País",
        "Departamento",
        "Provincia",
        "Municipio",
        "Localidad",
        "Distrito",
        "Recinto",
        "lat",
        "Inscritos",
        "CC",
        "MAS - IPSP",
        "Blancos",
        "Nulos",
    ]);
    let row = |mesa: &str, dep: &str, prov: &str, mun: &str, dist: &str| {
        strings(&[
            mesa, "Bolivia", dep, prov, mun, "Loc", dist, "R", "-16.5", "230", "80", "90", "3", "5",
        ])
    };
    let sample = vec![
        row("10001", "La Paz", "Murillo", "La Paz", "1"),
        row("10002", "La Paz", "Murillo", "La Paz", "2"),
        row("10003", "La Paz", "Murillo", "El Alto", "1"),
        row("10004", "La Paz", "Omasuyos", "Achacachi", "1"),
        row("10005", "Oruro", "Cercado", "Oruro", "1"),
    ];
    let (m, _) = infer("bo", &headers, &sample).unwrap();
    let regions: Vec<&str> = m.regions.iter().map(|r| r.column.as_str()).collect();
    assert_eq!(
        regions[..4],
        ["País", "Departamento", "Provincia", "Municipio"]
    );
    assert_eq!(regions.len(), 7);
    assert_eq!(m.station.key, vec!["Número Mesa"]);
    assert_eq!(
        m.counts.registered,
        Some(ColumnSum::One("Inscritos".into()))
    );
    let candidates: Vec<&str> = m.candidates.iter().map(|c| c.display_name()).collect();
    assert_eq!(candidates, ["CC", "MAS - IPSP"]);
}

#[test]
fn a_draft_mapping_is_valid_toml_with_every_recognised_column() {
    let headers = strings(&[
        "station_id",
        "valid",
        "votos_validos",
        "provincia",
        "a",
        "b",
    ]);
    let sample = vec![strings(&["1", "10", "10", "X", "4", "6"])];
    let problem = infer("d", &headers, &sample).unwrap_err().to_string();
    let text = draft("d", &headers, &sample, &problem);
    assert!(text.starts_with("# DRAFT mapping"), "{text}");
    assert!(
        text.contains("\"votos_validos\""),
        "the columns are listed: {text}"
    );
    let m: Mapping = toml::from_str(&text).unwrap();
    assert_eq!(m.station.key, vec!["station_id"]);
    assert_eq!(m.counts.valid, Some(ColumnSum::One("valid".into())));
    assert_eq!(m.regions[0].column, "provincia");
    let candidates: Vec<&str> = m.candidates.iter().map(|c| c.display_name()).collect();
    assert_eq!(
        candidates,
        ["a", "b"],
        "a count column is not a draft candidate"
    );
    assert!(text.contains("\"votos_validos\" (valid votes)"), "{text}");
}

#[test]
fn candidates_that_do_not_add_up_stop_inference() {
    let headers = strings(&["station_id", "valid", "a", "b"]);
    let sample = vec![
        strings(&["1", "10", "3", "4"]),
        strings(&["2", "10", "5", "4"]),
    ];
    let err = infer("d", &headers, &sample).unwrap_err().to_string();
    assert!(err.contains("do not add up"), "{err}");
}

/// Rows from a closure over the row index, as strings.
fn rows(n: usize, f: impl Fn(usize) -> Vec<String>) -> Vec<Vec<String>> {
    (0..n).map(f).collect()
}

#[test]
fn count_words_in_six_languages_are_never_candidates() {
    let not_candidates = [
        ("Reg.Voters", CountWord::Registered),
        ("V.Votes", CountWord::Valid),
        ("In.Votes", CountWord::Invalid),
        ("T.Votes", CountWord::Total),
        ("NON_REP", CountWord::Flag),
        ("ln", CountWord::Registered),
        ("votantes", CountWord::Ballots),
        ("Otros", CountWord::Others),
        ("Sonstige", CountWord::Others),
        ("Wahlberechtigte", CountWord::Registered),
        ("Ungültige Stimmen", CountWord::Invalid),
        ("Votos nulos totales", CountWord::Invalid),
        ("Porcentaje votos válidos", CountWord::Share),
        ("Inscrits", CountWord::Registered),
        ("Votants", CountWord::Ballots),
        ("Blancs", CountWord::Blank),
        ("Eleitores aptos", CountWord::Registered),
        ("Votos em branco", CountWord::Blank),
        ("Число избирателей", CountWord::Registered),
        ("Недействительных бюллетеней", CountWord::Invalid),
        ("Прочие", CountWord::Others),
        ("cod_mesa", CountWord::Code),
        ("Estatus acta", CountWord::Flag),
        ("TOTAL", CountWord::Total),
    ];
    for (header, want) in not_candidates {
        assert_eq!(count_word(&normalise(header)), Some(want), "{header}");
    }
    // Party names that contain no count word stay candidates, FREIE WÄHLER included.
    for party in [
        "FREIE WÄHLER",
        "CDU",
        "MAS - IPSP",
        "Die Linke",
        "Justicia Social",
        "PT",
        "V",
        "NO",
    ] {
        assert_eq!(count_word(&normalise(party)), None, "{party}");
    }
}

#[test]
fn abbreviated_count_columns_are_placed_and_not_taken_as_candidates() {
    // The shape of a file whose registered, valid, invalid and total votes and a non-reporting
    // flag were all taken as candidates (the roll led the report).
    let headers = strings(&[
        "Polling Station",
        "District",
        "Reg.Voters",
        "V.Votes",
        "In.Votes",
        "T.Votes",
        "NON_REP",
        "Smith",
        "Jones",
        "Lee",
    ]);
    let sample = rows(40, |i| {
        let (a, b, c) = (100 + i % 7 * 3, 80 + i % 5 * 4, 10 + i % 3);
        let valid = a + b + c;
        strings(&[
            &format!("PS{i:03}"),
            &format!("D{}", i % 4),
            &(valid * 3 / 2).to_string(),
            &valid.to_string(),
            "4",
            &(valid + 4).to_string(),
            "0",
            &a.to_string(),
            &b.to_string(),
            &c.to_string(),
        ])
    });
    let (m, _) = infer("abbrev", &headers, &sample).unwrap();
    assert_eq!(
        m.counts.registered,
        Some(ColumnSum::One("Reg.Voters".into()))
    );
    assert_eq!(m.counts.valid, Some(ColumnSum::One("V.Votes".into())));
    assert_eq!(m.counts.null, Some(ColumnSum::One("In.Votes".into())));
    assert_eq!(
        m.counts.ballots_cast,
        Some(ColumnSum::One("T.Votes".into()))
    );
    let candidates: Vec<&str> = m.candidates.iter().map(|c| c.display_name()).collect();
    assert_eq!(candidates, ["Smith", "Jones", "Lee"]);
    let block = summary(&m, &headers);
    assert!(block.contains("NON_REP (a flag or status)"), "{block}");
    assert!(
        block.contains("candidates    Smith, Jones, Lee (3)"),
        "{block}"
    );
}

#[test]
fn a_roll_under_an_unknown_name_is_refused_as_a_dominant_candidate() {
    let headers = strings(&["station_id", "district", "kiesgerechtigden", "A", "B", "C"]);
    let sample = rows(40, |i| {
        strings(&[
            &i.to_string(),
            "X",
            &(900 + i).to_string(),
            &(200 + i % 9).to_string(),
            &(150 + i % 4).to_string(),
            &(30 + i % 5).to_string(),
        ])
    });
    let err = infer("d", &headers, &sample).unwrap_err().to_string();
    assert!(
        err.contains("\"kiesgerechtigden\" that looks like a candidate is at least as large as all the other candidates together in 40 of 40 rows"),
        "{err}"
    );
    assert!(err.contains("was not used"), "{err}");
}

#[test]
fn a_centre_level_count_copied_onto_its_tables_is_refused() {
    // The QR-code file: `votantes` counts the centre, and each table repeated it.
    let headers = strings(&["centro", "mesa", "votantes", "EG", "NM", "LM", "Otros"]);
    let sample = rows(60, |i| {
        let centre = i / 3;
        let (eg, nm, lm) = (150 + (i * 7) % 40, 60 + (i * 37) % 150, 2 + i % 3);
        strings(&[
            &format!("0101{centre:05}"),
            &(i % 3 + 1).to_string(),
            &(700 + centre * 5).to_string(),
            &eg.to_string(),
            &nm.to_string(),
            &lm.to_string(),
            &lm.to_string(),
        ])
    });
    let err = infer("qr", &headers, &sample).unwrap_err().to_string();
    assert!(
        err.contains("the count \"votantes\" is identical across the tables of the same centro in 20 of 20 groups"),
        "{err}"
    );
}

#[test]
fn a_subtotal_under_an_unknown_name_is_refused() {
    let headers = strings(&["station_id", "valid", "A", "B", "C", "D", "Varios"]);
    let sample = rows(30, |i| {
        let (a, b, c, d) = (300 + i, 150 + (i * 53) % 300, 5 + i % 4, 3 + i % 2);
        strings(&[
            &i.to_string(),
            &(a + b + c + d).to_string(),
            &a.to_string(),
            &b.to_string(),
            &c.to_string(),
            &d.to_string(),
            &(c + d).to_string(),
        ])
    });
    let err = infer("d", &headers, &sample).unwrap_err().to_string();
    // Either check names the problem: the candidates (with Varios) overshoot valid, and Varios
    // is the sum of C and D.
    assert!(err.contains("do not add up to \"valid\""), "{err}");
    let headers = strings(&["station_id", "A", "B", "C", "D", "Varios"]);
    let sample: Vec<Vec<String>> = sample
        .into_iter()
        .map(|r| [&r[..1], &r[2..]].concat())
        .collect();
    let err = infer("d", &headers, &sample).unwrap_err().to_string();
    assert!(
        err.contains(
            "the column \"Varios\" equals the sum of \"C\" + \"D\" in 30 of its 30 non-zero rows"
        ),
        "{err}"
    );
}

#[test]
fn ballots_above_registered_in_most_rows_are_refused() {
    let headers = strings(&["station_id", "registered", "ballots", "A", "B"]);
    let sample = rows(30, |i| {
        strings(&[
            &i.to_string(),
            "100",
            &(300 + i).to_string(),
            &(150 + i).to_string(),
            "150",
        ])
    });
    let err = infer("d", &headers, &sample).unwrap_err().to_string();
    assert!(
        err.contains(
            "\"ballots\" is above \"registered\" (registered voters) in 30 of the first 30 rows"
        ),
        "{err}"
    );
}

#[test]
fn an_others_column_the_candidates_need_to_reach_valid_is_a_candidate() {
    let headers = strings(&["station_id", "valid", "A", "B", "Otros"]);
    let sample = rows(30, |i| {
        let b = 150 + (i * 53) % 300;
        strings(&[
            &i.to_string(),
            &(350 + i + b).to_string(),
            &(300 + i).to_string(),
            &b.to_string(),
            "50",
        ])
    });
    let (m, notes) = infer("d", &headers, &sample).unwrap();
    let candidates: Vec<&str> = m.candidates.iter().map(|c| c.display_name()).collect();
    assert_eq!(candidates, ["A", "B", "Otros"]);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("\"Otros\" taken as a candidate")),
        "{notes:?}"
    );
}

#[test]
fn a_draft_without_a_key_says_its_key_is_a_placeholder() {
    let headers = strings(&["region", "a", "b"]);
    let sample = vec![strings(&["x", "1", "2"])];
    let problem = infer("d", &headers, &sample).unwrap_err().to_string();
    let text = draft("d", &headers, &sample, &problem);
    assert!(text.contains("no column is named like a station identifier; \"region\", the first column, is only a placeholder"), "{text}");
}

#[test]
fn counts_with_a_thousands_separator_stop_inference_and_the_draft_declares_it() {
    let headers = strings(&["station_id", "Ubicación Estado", "Electores", "A", "B"]);
    let sample = rows(30, |i| {
        let reg = if i % 2 == 0 {
            "1.204".to_string()
        } else {
            (800 + i).to_string()
        };
        strings(&[
            &i.to_string(),
            "Norte",
            &reg,
            &(200 + (i * 37) % 150).to_string(),
            &(150 + i).to_string(),
        ])
    });
    let err = infer("d", &headers, &sample).unwrap_err().to_string();
    assert!(
        err.contains(
            "count cells such as \"1.204\" are whole numbers only with '.' as thousands separator"
        ),
        "{err}"
    );
    let text = draft("d", &headers, &sample, &err);
    let m: Mapping = toml::from_str(&text).unwrap();
    assert_eq!(m.format.thousands_separator.as_deref(), Some("."));
    assert_eq!(
        m.regions[0].column, "Ubicación Estado",
        "the last word names the level"
    );
}

#[test]
fn long_layout_passes_the_row_checks_it_can_take() {
    let headers = strings(&[
        "district",
        "station_id",
        "registered",
        "ballots_cast",
        "valid",
        "candidate",
        "votes",
    ]);
    let sample = rows(60, |i| {
        let station = i / 3;
        strings(&[
            &format!("D{}", station % 4),
            &format!("S{station:03}"),
            "140",
            "101",
            "98",
            ["Ana", "Bruno", "Carla"][i % 3],
            &(10 + i % 30).to_string(),
        ])
    });
    let (m, _) = infer("long", &headers, &sample).unwrap();
    assert_eq!(m.dataset.layout, Layout::Long);
}

#[test]
fn a_russian_protocol_header_keeps_its_paperwork_out_of_the_candidates() {
    let headers = strings(&[
        "region",
        "tik",
        "uik",
        "Число избирателей, включенных в список избирателей",
        "Число избирательных бюллетеней, полученных участковой избирательной комиссией",
        "Число погашенных избирательных бюллетеней",
        "Число недействительных избирательных бюллетеней",
        "Число действительных избирательных бюллетеней",
        "Число открепительных удостоверений, выданных избирателям ТИК",
        "Жириновский Владимир Вольфович",
        "Зюганов Геннадий Андреевич",
        "Путин Владимир Владимирович",
        "url",
    ]);
    let sample = rows(60, |i| {
        let (a, b, c) = (50 + i % 40, 80 + (i * 37) % 200, 150 + (i * 13) % 120);
        strings(&[
            "Москва",
            &format!("ТИК {}", i / 20),
            &(i % 20 + 1).to_string(),
            "2400",
            "2000",
            "700",
            "20",
            &(a + b + c).to_string(),
            "3",
            &a.to_string(),
            &b.to_string(),
            &c.to_string(),
            "http://x",
        ])
    });
    let (m, _) = infer("ru", &headers, &sample).unwrap();
    assert_eq!(m.station.key, vec!["tik", "uik"]);
    assert_eq!(
        m.counts.registered,
        Some(ColumnSum::One(
            "Число избирателей, включенных в список избирателей".into()
        ))
    );
    let candidates: Vec<&str> = m.candidates.iter().map(|c| c.display_name()).collect();
    assert_eq!(
        candidates,
        [
            "Жириновский Владимир Вольфович",
            "Зюганов Геннадий Андреевич",
            "Путин Владимир Владимирович"
        ]
    );
    let regions: Vec<&str> = m.regions.iter().map(|r| r.column.as_str()).collect();
    assert_eq!(regions, ["region", "tik"]);
}
