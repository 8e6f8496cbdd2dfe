{{/* Names and labels shared by every template of the tern chart. */}}

{{- define "tern.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The resource name prefix: the release name, with the chart name unless it already holds it. */}}
{{- define "tern.fullname" -}}
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

{{- define "tern.operatorName" -}}
{{- printf "%s-operator" (include "tern.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tern.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object of the release. */}}
{{- define "tern.labels" -}}
helm.sh/chart: {{ include "tern.chart" . }}
app.kubernetes.io/name: {{ include "tern.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: tern
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Labels of the operator's objects, and the subset that selects its pods. */}}
{{- define "tern.operatorLabels" -}}
{{ include "tern.labels" . }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "tern.operatorSelectorLabels" -}}
app.kubernetes.io/name: {{ include "tern.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "tern.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tern.operatorName" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "tern.operatorImage" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "tern.brokerImage" -}}
{{- printf "%s:%s" .Values.brokerImage.repository (default .Chart.AppVersion .Values.brokerImage.tag) -}}
{{- end -}}

{{/* Where `helm test` produces and consumes. */}}
{{- define "tern.testBootstrapServers" -}}
{{- if .Values.test.bootstrapServers -}}
{{- .Values.test.bootstrapServers -}}
{{- else if .Values.cluster.create -}}
{{- $port := dig "listeners" "internal" "port" 9092 (.Values.cluster.spec | default dict) -}}
{{- printf "%s-bootstrap.%s.svc:%v" .Values.cluster.name .Release.Namespace $port -}}
{{- else -}}
tern-bootstrap.default.svc:9092
{{- end -}}
{{- end -}}
