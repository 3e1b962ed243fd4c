{{/* Chart name. */}}
{{- define "orrery.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified app name, at most 63 characters. */}}
{{- define "orrery.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "orrery.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every resource. */}}
{{- define "orrery.labels" -}}
helm.sh/chart: {{ include "orrery.chart" . }}
app.kubernetes.io/name: {{ include "orrery.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: include with (dict "ctx" $ "component" "gateway"). */}}
{{- define "orrery.selectorLabels" -}}
app.kubernetes.io/name: {{ include "orrery.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "orrery.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "orrery.secretName" -}}
{{- default (include "orrery.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "orrery.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "orrery.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Environment of one role's pods, include with (dict "ctx" $ "role" "gateway"): the service
URLs from the Secret (the role's own Redis user), the role's NATS identity, and whether the
pods skip migrating (the migration Job does it). */}}
{{- define "orrery.commonEnv" -}}
{{- $ := .ctx -}}
{{- $nats := index $.Values.nats .role -}}
- name: ORRERY_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "orrery.secretName" $ }}
      key: {{ $.Values.secrets.keys.databaseUrl }}
- name: ORRERY_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "orrery.secretName" $ }}
      key: {{ index $.Values.secrets.keys (printf "%sRedisUrl" .role) }}
{{- if or $.Values.secrets.existingSecret $.Values.secrets.natsUrl }}
- name: ORRERY_NATS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "orrery.secretName" $ }}
      key: {{ $.Values.secrets.keys.natsUrl }}
      optional: true
{{- end }}
{{- if $nats.credentialsSecret }}
- name: ORRERY_NATS_CREDENTIALS_FILE
  value: /etc/orrery/nats/nats.creds
{{- end }}
{{- if $nats.passwordSecret }}
- name: ORRERY_NATS_USER
  value: {{ $nats.user | quote }}
- name: ORRERY_NATS_PASSWORD_FILE
  value: /etc/orrery/nats/password
{{- end }}
{{- if $.Values.migration.job }}
- name: ORRERY_SKIP_MIGRATIONS
  value: "true"
{{- end }}
{{- with $.Values.serviceCa }}
{{- if .secretName }}
{{- if .natsKey }}
- name: ORRERY_NATS_CA_FILE
  value: /etc/orrery/ca/{{ .natsKey }}
{{- end }}
{{- if .redisKey }}
- name: ORRERY_REDIS_CA_FILE
  value: /etc/orrery/ca/{{ .redisKey }}
{{- end }}
{{- if .databaseKey }}
- name: ORRERY_DATABASE_CA_FILE
  value: /etc/orrery/ca/{{ .databaseKey }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* "true" when the role mounts a NATS credential: (dict "ctx" $ "role" "gateway"). */}}
{{- define "orrery.natsMounted" -}}
{{- $nats := index .ctx.Values.nats .role -}}
{{- if or $nats.credentialsSecret $nats.passwordSecret -}}true{{- end -}}
{{- end -}}

{{/* The role's NATS credential mount (empty without one). */}}
{{- define "orrery.natsCredentialsMount" -}}
{{- if include "orrery.natsMounted" . -}}
- name: nats-credentials
  mountPath: /etc/orrery/nats
  readOnly: true
{{- end -}}
{{- end -}}

{{/* The role's NATS credential volume: its `.creds` file and/or its password, from the role's
own Secrets, as nats.creds and password. */}}
{{- define "orrery.natsCredentialsVolume" -}}
{{- $nats := index .ctx.Values.nats .role -}}
{{- if include "orrery.natsMounted" . -}}
- name: nats-credentials
  projected:
    sources:
      {{- if $nats.credentialsSecret }}
      - secret:
          name: {{ $nats.credentialsSecret | quote }}
          items:
            - key: {{ $nats.credentialsKey | quote }}
              path: nats.creds
      {{- end }}
      {{- if $nats.passwordSecret }}
      - secret:
          name: {{ $nats.passwordSecret | quote }}
          items:
            - key: {{ $nats.passwordKey | quote }}
              path: password
      {{- end }}
{{- end -}}
{{- end -}}

{{/* Refuse settings that cannot work, before anything is deployed. */}}
{{- define "orrery.validate" -}}
{{- $gw := .Values.gateway -}}
{{- $gwNeeded := add $gw.preStopSleepSeconds (div (add $gw.config.drainGraceMs 999) 1000) -}}
{{- if le (int $gw.terminationGracePeriodSeconds) (int $gwNeeded) -}}
{{- fail (printf "gateway.terminationGracePeriodSeconds (%v) must exceed gateway.preStopSleepSeconds + gateway.config.drainGraceMs/1000 (%v): the drain would be killed" $gw.terminationGracePeriodSeconds $gwNeeded) -}}
{{- end -}}
{{- $wk := .Values.worker -}}
{{- $wkNeeded := div (add $wk.timing.drainGraceMs 999) 1000 -}}
{{- if le (int $wk.terminationGracePeriodSeconds) (int $wkNeeded) -}}
{{- fail (printf "worker.terminationGracePeriodSeconds (%v) must exceed worker.timing.drainGraceMs/1000 (%v): rooms would be killed instead of handed over" $wk.terminationGracePeriodSeconds $wkNeeded) -}}
{{- end -}}
{{- if ge (mul $wk.timing.leaseMarginMs 3) (int $wk.timing.leaseTtlMs) -}}
{{- fail "worker.timing.leaseMarginMs must be less than a third of worker.timing.leaseTtlMs" -}}
{{- end -}}
{{- range $role := list "gateway" "worker" -}}
{{- $nats := index $.Values.nats $role -}}
{{- if and $nats.passwordSecret (not $nats.user) -}}
{{- fail (printf "nats.%s.passwordSecret needs nats.%s.user" $role $role) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.auth.publicKey.enabled (not .Values.auth.publicKey.secretName) -}}
{{- fail "auth.publicKey.enabled needs auth.publicKey.secretName" -}}
{{- end -}}
{{- end -}}

{{/* The HS256 secret: the given one, else the one already deployed, else a new random one. */}}
{{- define "orrery.jwtSecret" -}}
{{- if .Values.secrets.jwtSecret -}}
{{- .Values.secrets.jwtSecret -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "orrery.fullname" .) -}}
{{- if and $existing (index $existing.data .Values.secrets.keys.jwtSecret) -}}
{{- index $existing.data .Values.secrets.keys.jwtSecret | b64dec -}}
{{- else -}}
{{- randAlphaNum 48 -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "true" when a role's pods mount files for the services, its NATS credential or the
service CAs: (dict "ctx" $ "role" "gateway"). */}}
{{- define "orrery.serviceFiles" -}}
{{- if or (include "orrery.natsMounted" .) .ctx.Values.serviceCa.secretName -}}true{{- end -}}
{{- end -}}

{{/* The service CAs' volume mount (empty without serviceCa.secretName). */}}
{{- define "orrery.serviceCaMount" -}}
{{- if .Values.serviceCa.secretName -}}
- name: service-ca
  mountPath: /etc/orrery/ca
  readOnly: true
{{- end -}}
{{- end -}}

{{/* The service CAs' volume: the whole Secret. */}}
{{- define "orrery.serviceCaVolume" -}}
{{- if .Values.serviceCa.secretName -}}
- name: service-ca
  secret:
    secretName: {{ .Values.serviceCa.secretName | quote }}
{{- end -}}
{{- end -}}
