{{/* Labels every object carries. */}}
{{- define "nftpolicy.labels" -}}
app.kubernetes.io/name: nftpolicy
app.kubernetes.io/part-of: nftpolicy
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* The DaemonSet's selector: never changes between releases (a DaemonSet's selector is immutable). */}}
{{- define "nftpolicy.selectorLabels" -}}
app.kubernetes.io/name: nftpolicy
app.kubernetes.io/component: agent
{{- end }}

{{/* The image reference: repository@digest, else repository:tag (default appVersion). */}}
{{- define "nftpolicy.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end }}

{{/* The port of metrics.bindAddress (HOST:PORT, [IPv6]:PORT or :PORT). */}}
{{- define "nftpolicy.metricsPort" -}}
{{- $port := splitList ":" .Values.metrics.bindAddress | last -}}
{{- if not (regexMatch "^[1-9][0-9]{0,4}$" $port) -}}
{{- fail (printf "metrics.bindAddress: %q has no port (HOST:PORT or :PORT; port 0 cannot be probed)" .Values.metrics.bindAddress) -}}
{{- end -}}
{{ $port }}
{{- end }}
