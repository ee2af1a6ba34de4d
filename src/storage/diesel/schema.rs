//! The one diesel schema for both backends (kept in step with both migration folders by the
//! schema test in `tests/it/migrations.rs`).

diesel::table! {
    sites (id) {
        id -> Text,
        name -> Text,
        country -> Text,
        key_hash -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
        key_rotated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        token_hash -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    models (id) {
        id -> Text,
        name -> Text,
        version -> Text,
        feature_schema -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    events (event_id) {
        event_id -> Text,
        site_id -> Text,
        model_id -> Text,
        occurred_at -> Timestamp,
        occurred_day -> Text,
        received_at -> Timestamp,
        case_ref -> Text,
        modality -> Text,
        scanner_manufacturer -> Text,
        scanner_model -> Text,
        slice_thickness_mm -> Double,
        pixel_spacing_mm -> Double,
        kvp -> Nullable<Double>,
        field_strength_t -> Nullable<Double>,
        contrast -> Nullable<Bool>,
        age_band -> Nullable<Text>,
        sex -> Nullable<Text>,
        input_features -> Text,
        output_status -> Text,
        latency_ms -> Double,
        output_features -> Text,
        content_hash -> Text,
    }
}

diesel::table! {
    reviews (review_id) {
        review_id -> Text,
        event_id -> Text,
        site_id -> Text,
        model_id -> Text,
        reviewed_at -> Timestamp,
        reviewed_day -> Text,
        received_at -> Timestamp,
        outcome -> Text,
        severity -> Text,
        metrics -> Nullable<Text>,
        content_hash -> Text,
        server_metrics -> Nullable<Text>,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        target -> Text,
        details -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::joinable!(events -> sites (site_id));
diesel::joinable!(events -> models (model_id));
diesel::joinable!(reviews -> events (event_id));
diesel::allow_tables_to_appear_in_same_query!(sites, users, models, events, reviews, audit_log);

diesel::table! {
    pms_plans (model_name, version) {
        model_name -> Text,
        version -> BigInt,
        body -> Text,
        body_sha256 -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    alert_history (alert_id, seq) {
        alert_id -> Text,
        seq -> BigInt,
        at -> Timestamp,
        event -> Text,
        severity -> Text,
        summary -> Text,
        evidence -> Nullable<Text>,
    }
}

diesel::table! {
    alerts (id) {
        id -> Text,
        model_name -> Text,
        rule -> Text,
        stratum -> Text,
        severity -> Text,
        state -> Text,
        title -> Text,
        summary -> Text,
        opened_at -> Timestamp,
        updated_at -> Timestamp,
        last_signal_at -> Timestamp,
        clear_streak -> BigInt,
        closed_at -> Nullable<Timestamp>,
        handled_by -> Nullable<Text>,
        note -> Nullable<Text>,
        awareness_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        dedup_key -> Text,
        recipients -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        chart_png -> Nullable<Binary>,
        created_at -> Timestamp,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        channel -> Text,
    }
}

diesel::table! {
    retraining_requests (id) {
        id -> Text,
        model_name -> Text,
        criteria -> Text,
        manifest -> Text,
        manifest_sha256 -> Text,
        case_count -> BigInt,
        status -> Text,
        status_detail -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    baselines (id) {
        id -> Text,
        model_id -> Text,
        source -> Text,
        row_count -> BigInt,
        body -> Text,
        body_sha256 -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    findings (evaluation_id, seq) {
        evaluation_id -> Text,
        seq -> BigInt,
        model_id -> Text,
        plan_version -> BigInt,
        baseline_id -> Text,
        stratum -> Text,
        window_kind -> Text,
        window_start -> Text,
        window_end -> Text,
        rule -> Text,
        method -> Text,
        status -> Text,
        n -> BigInt,
        statistic -> Nullable<Double>,
        p_value -> Nullable<Double>,
        q_value -> Nullable<Double>,
        estimate -> Nullable<Double>,
        ci_low -> Nullable<Double>,
        ci_high -> Nullable<Double>,
        limit_value -> Nullable<Double>,
        fingerprint -> Text,
        note -> Nullable<Text>,
        created_at -> Timestamp,
        window_from -> Nullable<Text>,
        window_to -> Nullable<Text>,
        days_with_data -> Nullable<BigInt>,
    }
}

diesel::table! {
    monitor_state (model_id) {
        model_id -> Text,
        through_day -> Text,
        baseline_id -> Text,
        plan_version -> BigInt,
        state -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    jobs (id) {
        id -> Text,
        kind -> Text,
        subject -> Nullable<Text>,
        payload -> Text,
        state -> Text,
        progress_done -> BigInt,
        progress_total -> BigInt,
        progress_message -> Nullable<Text>,
        requested_by -> Text,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        attempts -> BigInt,
        max_attempts -> BigInt,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        checkpoint -> Nullable<Text>,
        result -> Nullable<Text>,
        result_blob -> Nullable<Text>,
        error -> Nullable<Text>,
        cancel_requested -> Bool,
    }
}

diesel::table! {
    model_artifacts (model_id) {
        model_id -> Text,
        onnx_sha256 -> Text,
        spec -> Text,
        role -> Text,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
        role_changed_at -> Timestamp,
    }
}

diesel::table! {
    archive_cases (case_ref) {
        case_ref -> Text,
        stratum -> Text,
        metadata -> Text,
        image_sha256 -> Text,
        mask_sha256 -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    devices (basic_udi_di) {
        basic_udi_di -> Text,
        udi_dis -> Text,
        trade_name -> Text,
        mdr_class -> Text,
        emdn_code -> Text,
        intended_purpose -> Text,
        notified_body -> Nullable<Text>,
        certificate -> Nullable<Text>,
        first_available -> Text,
        manufacturer -> Text,
        created_at -> Timestamp,
        retired_on -> Nullable<Text>,
        retire_reason -> Nullable<Text>,
    }
}

diesel::table! {
    device_software (model_id) {
        model_id -> Text,
        basic_udi_di -> Text,
        from_day -> Text,
        until_day -> Nullable<Text>,
    }
}

diesel::table! {
    incidents (id) {
        id -> Text,
        alert_id -> Nullable<Text>,
        model_id -> Text,
        title -> Text,
        description -> Text,
        awareness_day -> Text,
        site_ids -> Text,
        countries -> Text,
        reporting_country -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    incident_clock_events (incident_id, seq) {
        incident_id -> Text,
        seq -> BigInt,
        at -> Timestamp,
        kind -> Text,
        seriousness -> Nullable<Text>,
        awareness_day -> Text,
        due_day -> Nullable<Text>,
        reason -> Text,
        by_actor -> Text,
    }
}

diesel::table! {
    incident_reports (incident_id, seq) {
        incident_id -> Text,
        seq -> BigInt,
        stage -> Text,
        imdrf_release -> Text,
        fields -> Text,
        xml -> Text,
        sha256 -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        submission -> Nullable<Text>,
    }
}

diesel::table! {
    console_sessions (id_hash) {
        id_hash -> Text,
        user_id -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(console_sessions -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(console_sessions, users);

diesel::table! {
    readiness_probe (id) {
        id -> Integer,
        probed_at -> Timestamp,
    }
}

diesel::table! {
    reports (id) {
        id -> Text,
        kind -> Text,
        basic_udi_di -> Text,
        period_from -> Text,
        period_to -> Text,
        version -> BigInt,
        reference -> Text,
        data_fingerprint -> Text,
        pdf_sha256 -> Text,
        json_sha256 -> Text,
        figures -> Text,
        missing_narratives -> Text,
        generated_by -> Text,
        generated_at -> Timestamp,
        approved_by -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        approved_pdf_sha256 -> Nullable<Text>,
        approved_json_sha256 -> Nullable<Text>,
    }
}

diesel::table! {
    report_narratives (basic_udi_di, kind, period_from, period_to, field) {
        basic_udi_di -> Text,
        kind -> Text,
        period_from -> Text,
        period_to -> Text,
        field -> Text,
        body -> Text,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    daily_rollups (model_id, day, site_id, measure, value) {
        model_id -> Text,
        day -> Text,
        site_id -> Text,
        measure -> Text,
        value -> Text,
        n -> BigInt,
        total -> Double,
        total_sq -> Double,
    }
}

diesel::table! {
    trend_reports (id) {
        id -> Text,
        model_name -> Text,
        class_name -> Text,
        period_from -> Text,
        period_to -> Text,
        plan_version -> BigInt,
        alert_id -> Nullable<Text>,
        json_sha256 -> Text,
        xml_sha256 -> Text,
        pdf_sha256 -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    plan_backtests (id) {
        id -> Text,
        model -> Text,
        plan_sha256 -> Text,
        from_day -> Text,
        to_day -> Text,
        would_alerts -> BigInt,
        in_force_alerts -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    device_group_versions (leading_udi_di, version) {
        leading_udi_di -> Text,
        version -> BigInt,
        members -> Text,
        justification -> Text,
        changed_by -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    held_reviews (review_id) {
        review_id -> Text,
        event_id -> Text,
        site_id -> Text,
        reviewed_at -> Timestamp,
        held_at -> Timestamp,
        outcome -> Text,
        severity -> Text,
        metrics -> Nullable<Text>,
        content_hash -> Text,
    }
}

diesel::table! {
    held_review_drops (review_id, held_at) {
        review_id -> Text,
        held_at -> Timestamp,
        event_id -> Text,
        site_id -> Text,
        dropped_at -> Timestamp,
        reason -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(held_reviews, events);
