{{- define "aria.labels" -}}
app.kubernetes.io/name: aria
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "aria.operatorSelector" -}}
app.kubernetes.io/name: aria
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "aria.tag" -}}
{{- .tag | default .root.Chart.AppVersion -}}
{{- end -}}

{{- define "aria.workerImage" -}}
{{- $tag := include "aria.tag" (dict "tag" .Values.image.worker.tag "root" .) -}}
{{- printf "%s:%s" .Values.image.worker.repository $tag -}}
{{- end -}}

{{- define "aria.imagesClaim" -}}
{{- .Values.storage.pvc.existingClaim | default (printf "%s-images" .Release.Name) -}}
{{- end -}}
