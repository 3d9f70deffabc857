#!/usr/bin/env bash
# Builds the worker image, pushes it to ECR and deploys deploy/template.yaml (the Lambda worker,
# the queue with its DLQ, the bucket and the alarms); optionally the ECS/Fargate poller as well.
#
#   deploy/deploy.sh STACK [--region REGION] [--bucket EXISTING_BUCKET] [--alarm-topic SNS_ARN]
#                          [--memory MB] [--timeout SECONDS] [--max-concurrency N]
#                          [--ecs VPC_ID SUBNET_ID[,SUBNET_ID…]]   also deploy STACK-poller and
#                                                                   disable the Lambda event source
#                          [--gdcm]                                 include gdcmconv in the image
#
# Needs: docker (with an engine), the AWS CLI v2 with credentials for the target account.
# Prints the queue URL and an example `aws sqs send-message` when done.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "deploy: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: deploy/deploy.sh STACK [options] (see the header of this script)"
stack=$1; shift
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
bucket="" alarm="" memory=3538 timeout=300 concurrency=10 vpc="" subnets="" gdcm=false
while [ $# -gt 0 ]; do
  case $1 in
    --region) region=$2; shift 2 ;;
    --bucket) bucket=$2; shift 2 ;;
    --alarm-topic) alarm=$2; shift 2 ;;
    --memory) memory=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --max-concurrency) concurrency=$2; shift 2 ;;
    --ecs) vpc=$2; subnets=$3; shift 3 ;;
    --gdcm) gdcm=true; shift ;;
    *) die "unknown option $1" ;;
  esac
done
[ -n "$region" ] || die "set --region or AWS_REGION"
command -v docker >/dev/null || die "docker is needed to build the image"
command -v aws >/dev/null || die "the AWS CLI is needed"

account=$(aws sts get-caller-identity --query Account --output text)
repo="$stack-worker"
registry="$account.dkr.ecr.$region.amazonaws.com"
tag=$(git rev-parse --short=12 HEAD 2>/dev/null || date -u +%Y%m%d%H%M%S)

echo "deploy: building the image ($repo:$tag, gdcmconv: $gdcm)" >&2
docker build --build-arg "WITH_GDCM=$gdcm" -t "$repo:$tag" .

echo "deploy: pushing to $registry/$repo" >&2
aws ecr describe-repositories --region "$region" --repository-names "$repo" >/dev/null 2>&1 \
  || aws ecr create-repository --region "$region" --repository-name "$repo" \
       --image-scanning-configuration scanOnPush=true --image-tag-mutability IMMUTABLE >/dev/null
aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry"
docker tag "$repo:$tag" "$registry/$repo:$tag"
docker push "$registry/$repo:$tag"
image="$registry/$repo:$tag"

lambda_enabled=true
[ -z "$vpc" ] || lambda_enabled=false
echo "deploy: deploying stack $stack" >&2
aws cloudformation deploy --region "$region" --stack-name "$stack" \
  --template-file deploy/template.yaml --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
  --parameter-overrides "ImageUri=$image" "ExistingBucketName=$bucket" "AlarmActionArn=$alarm" \
    "MemorySize=$memory" "FunctionTimeout=$timeout" "MaximumConcurrency=$concurrency" \
    "LambdaWorkerEnabled=$lambda_enabled"

output() {
  aws cloudformation describe-stacks --region "$region" --stack-name "$1" \
    --query "Stacks[0].Outputs[?OutputKey=='$2'].OutputValue" --output text
}
queue_url=$(output "$stack" QueueUrl)
queue_arn=$(output "$stack" QueueArn)
bucket_name=$(output "$stack" BucketName)

if [ -n "$vpc" ]; then
  echo "deploy: deploying the ECS/Fargate poller stack $stack-poller" >&2
  aws cloudformation deploy --region "$region" --stack-name "$stack-poller" \
    --template-file deploy/ecs-poller.yaml --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
    --parameter-overrides "ImageUri=$image" "QueueUrl=$queue_url" "QueueArn=$queue_arn" \
      "BucketName=$bucket_name" "VpcId=$vpc" "Subnets=$subnets" "MaxTasks=$concurrency"
fi

cat <<EOF
deploy: done.
  queue:   $queue_url
  bucket:  s3://$bucket_name/   (upload studies under download/<study>/)
  results: s3://$bucket_name/results/<taskId>.json
Send a job the way a producer does:
  aws sqs send-message --region $region --queue-url $queue_url \\
    --message-body '{"s3SourceUri":"s3://$bucket_name/download/<study>/","compressionRate":100}'
EOF
