# Creates the resources dicom-j2k's tests and local runs expect in LocalStack:
#   - the bucket              LOCALSTACK_BUCKET (default dicom-j2k-test)
#   - the dead-letter queue   LOCALSTACK_DLQ    (default dicom-j2k-jobs-dlq)
#   - the job queue           LOCALSTACK_QUEUE  (default dicom-j2k-jobs), redriving to the DLQ
#                             after LOCALSTACK_MAX_RECEIVE_COUNT receives (default 3)
# Idempotent: running it again leaves existing resources as they are.
#
# Two ways it runs:
#   - Docker: docker-compose.yml mounts this folder at /etc/localstack/init/ready.d; LocalStack runs
#     the script inside its own Python process once it is ready.
#   - Host:   localstack/start.sh runs it with the LocalStack venv's Python after the health check,
#     and reads the `export …` lines it prints.
# It uses boto3, which ships with LocalStack, so it needs neither awscli nor the network.
import json
import os

import boto3
from botocore.config import Config


def create_resources():
    env = os.environ
    endpoint = env.get("LOCALSTACK_INIT_ENDPOINT") or "http://localhost:4566"
    region = env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or "us-east-1"
    bucket = env.get("LOCALSTACK_BUCKET") or "dicom-j2k-test"
    queue = env.get("LOCALSTACK_QUEUE") or "dicom-j2k-jobs"
    dlq = env.get("LOCALSTACK_DLQ") or "dicom-j2k-jobs-dlq"
    max_receive_count = env.get("LOCALSTACK_MAX_RECEIVE_COUNT") or "3"
    # The access key ID selects LocalStack's account; the worker and the tests use `test` as well.
    session = boto3.session.Session(
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID") or "test",
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or "test",
        region_name=region,
    )

    s3 = session.client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"}))
    try:
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass

    sqs = session.client("sqs", endpoint_url=endpoint)
    dlq_url = sqs.create_queue(QueueName=dlq)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)})
    queue_url = sqs.create_queue(QueueName=queue, Attributes={"RedrivePolicy": redrive})["QueueUrl"]

    print(f"export LOCALSTACK_BUCKET={bucket}")
    print(f"export LOCALSTACK_QUEUE_URL={queue_url}")
    print(f"export LOCALSTACK_DLQ_URL={dlq_url}")


# No `__main__` guard: inside the LocalStack container the script is run in LocalStack's process.
create_resources()
