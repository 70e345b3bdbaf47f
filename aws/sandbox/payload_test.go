package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// chunkedUpload is an aws-chunked PUT as the AWS SDKs send one, built here
// from the SigV4 documentation: the headers are signed by the SDK's signer
// (the seed signature), each chunk's signature chains from the one before.
type chunkedUpload struct {
	mode     string   // x-amz-content-sha256: one of the STREAMING-... forms
	chunks   [][]byte // the body's chunks
	trailer  string   // "x-amz-checksum-crc32:VALUE", "" for none
	badChunk bool     // every chunk signature "f" x 64
	badTrail bool     // a wrong trailer signature
}

// send PUTs key with the upload's body and returns the answer.
func (u chunkedUpload) send(t *testing.T, sb *Sandbox, key string) (int, string) {
	t.Helper()
	now := time.Now().UTC()
	amzDate, date := now.Format(amzDateFormat), now.Format("20060102")
	var size int
	for _, c := range u.chunks {
		size += len(c)
	}
	req, err := http.NewRequest(http.MethodPut, sb.S3Endpoint+"/"+sb.Bucket+"/"+key, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Content-Sha256", u.mode)
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(size))
	if u.trailer != "" {
		name, _, _ := strings.Cut(u.trailer, ":")
		req.Header.Set("X-Amz-Trailer", name)
	}
	signer := v4.NewSigner()
	creds := sdkaws.Credentials{AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey}
	if err := signer.SignHTTP(context.Background(), creds, req, u.mode, "s3", sb.Region, now); err != nil {
		t.Fatal(err)
	}
	prev := req.Header.Get("Authorization")
	prev = prev[strings.LastIndex(prev, "Signature=")+len("Signature="):]
	key4 := signingKey(sb.SecretAccessKey, date, sb.Region, "s3")
	scope := date + "/" + sb.Region + "/s3/aws4_request"
	signed := u.mode != streamingUnsigned
	var b bytes.Buffer
	for _, c := range append(u.chunks, nil) {
		if !signed {
			fmt.Fprintf(&b, "%x\r\n", len(c))
		} else {
			sum := sha256.Sum256(c)
			sig := hex.EncodeToString(hmacSHA256(key4, "AWS4-HMAC-SHA256-PAYLOAD\n"+amzDate+"\n"+scope+"\n"+prev+"\n"+emptySHA256+"\n"+hex.EncodeToString(sum[:])))
			prev = sig
			if u.badChunk {
				sig = strings.Repeat("f", 64)
			}
			fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", len(c), sig)
		}
		if len(c) > 0 {
			b.Write(c)
			b.WriteString("\r\n")
		}
	}
	if u.trailer != "" {
		b.WriteString(u.trailer + "\r\n")
		if u.mode == streamingSignedTrailer {
			sum := sha256.Sum256([]byte(u.trailer + "\n"))
			sig := hex.EncodeToString(hmacSHA256(key4, "AWS4-HMAC-SHA256-TRAILER\n"+amzDate+"\n"+scope+"\n"+prev+"\n"+hex.EncodeToString(sum[:])))
			if u.badTrail {
				sig = strings.Repeat("0", 64)
			}
			b.WriteString("x-amz-trailer-signature:" + sig + "\r\n")
		}
	}
	b.WriteString("\r\n")
	req.Body = io.NopCloser(bytes.NewReader(b.Bytes()))
	req.ContentLength = int64(b.Len())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func crc32Trailer(b []byte) string {
	s := crc32.ChecksumIEEE(b)
	return "x-amz-checksum-crc32:" + base64.StdEncoding.EncodeToString([]byte{byte(s >> 24), byte(s >> 16), byte(s >> 8), byte(s)})
}

// A body must be the one its signature covers: a body that is not the one
// x-amz-content-sha256 names, an aws-chunked body whose chunk or trailer
// signatures do not verify, or whose trailing checksum is wrong, is
// refused as S3 refuses it, and stores nothing, on both stores.
func TestBodyMustMatchItsSignature(t *testing.T) {
	for _, memory := range []bool{true, false} {
		t.Run(fmt.Sprintf("memory=%v", memory), func(t *testing.T) {
			sb, err := Start(context.Background(), Options{DataDir: t.TempDir(), Memory: memory})
			if err != nil {
				t.Fatal(err)
			}
			defer sb.Close()
			sbPut(t, sbClient(sb), sb.Bucket, "k", []byte("original"), "")

			// Signed for "goodbody", sent with "EVILBODY".
			req, _ := http.NewRequest(http.MethodPut, sb.S3Endpoint+"/"+sb.Bucket+"/k", strings.NewReader("EVILBODY"))
			good := sha256Hex([]byte("goodbody"))
			req.Header.Set("X-Amz-Content-Sha256", good)
			if err := v4.NewSigner().SignHTTP(context.Background(), sdkaws.Credentials{AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey},
				req, good, "s3", sb.Region, time.Now()); err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 400 || !strings.Contains(string(body), "<Code>XAmzContentSHA256Mismatch</Code>") {
				t.Errorf("body other than signed: %d %s", resp.StatusCode, body)
			}

			chunks := [][]byte{sbRandom(t, 64<<10), sbRandom(t, 64<<10), []byte("the end")}
			whole := bytes.Join(chunks, nil)
			for _, tc := range []struct {
				name   string
				up     chunkedUpload
				status int
				code   string
			}{
				{"chunk signatures forged", chunkedUpload{mode: streamingSigned, chunks: chunks, badChunk: true}, 403, "SignatureDoesNotMatch"},
				{"trailer signature forged", chunkedUpload{mode: streamingSignedTrailer, chunks: chunks, trailer: crc32Trailer(whole), badTrail: true}, 403, "SignatureDoesNotMatch"},
				{"signed trailer, wrong checksum", chunkedUpload{mode: streamingSignedTrailer, chunks: chunks, trailer: crc32Trailer([]byte("other"))}, 400, "BadDigest"},
				{"unsigned trailer, wrong checksum", chunkedUpload{mode: streamingUnsigned, chunks: chunks, trailer: crc32Trailer([]byte("other"))}, 400, "BadDigest"},
			} {
				status, out := tc.up.send(t, sb, "k")
				if status != tc.status || !strings.Contains(out, "<Code>"+tc.code+"</Code>") {
					t.Errorf("%s: %d %s, want %d %s", tc.name, status, out, tc.status, tc.code)
				}
			}
			if got, _ := sbObject(t, sb, "k"); got != "original" {
				t.Fatalf("after the refused bodies the object is %d bytes %.20q", len(got), got)
			}

			for _, up := range []chunkedUpload{
				{mode: streamingSigned, chunks: chunks},
				{mode: streamingSignedTrailer, chunks: chunks, trailer: crc32Trailer(whole)},
				{mode: streamingUnsigned, chunks: chunks, trailer: crc32Trailer(whole)},
			} {
				if status, out := up.send(t, sb, "k"); status != 200 {
					t.Errorf("%s: %d %s", up.mode, status, out)
					continue
				}
				if got, _ := sbObject(t, sb, "k"); got != string(whole) {
					t.Errorf("%s: stored %d bytes, not the body", up.mode, len(got))
				}
			}

			// S3 requires x-amz-content-sha256 of every header-signed request.
			req, _ = http.NewRequest(http.MethodGet, sb.S3Endpoint+"/"+sb.Bucket+"/k", nil)
			if err := v4.NewSigner().SignHTTP(context.Background(), sdkaws.Credentials{AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey},
				req, emptySHA256, "s3", sb.Region, time.Now()); err != nil {
				t.Fatal(err)
			}
			if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 400 {
				t.Errorf("GET without x-amz-content-sha256: %v %v, want 400", resp, err)
			} else {
				resp.Body.Close()
			}
		})
	}
}

// FuzzChunkedBody feeds arbitrary bytes to the aws-chunked decoder (signed
// and unsigned forms): it must never panic, never hand on more than the
// declared length, and hand on the declared length only with a nil error
// at the end.
func FuzzChunkedBody(f *testing.F) {
	f.Add([]byte("3\r\nabc\r\n0\r\n\r\n"), false, uint16(3))
	f.Add([]byte("3;chunk-signature=00\r\nabc\r\n0;chunk-signature=00\r\n\r\n"), true, uint16(3))
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"), false, uint16(5))
	f.Fuzz(func(t *testing.T, raw []byte, signed bool, declared uint16) {
		req := &http.Request{Header: http.Header{}, Trailer: http.Header{}}
		c := &chunkedReader{r: bufio.NewReader(bytes.NewReader(raw)), body: io.NopCloser(nil), req: req, want: int64(declared),
			signed: signed, trailer: !signed, key: []byte("k"), prev: "00", prefix: "20260101T000000Z\n20260101/us-east-1/s3/aws4_request\n"}
		n, err := io.Copy(io.Discard, io.LimitReader(c, 1<<20))
		if n > int64(declared) {
			t.Fatalf("decoded %d bytes of a body declared %d", n, declared)
		}
		if err == nil && n != int64(declared) {
			t.Fatalf("decoded %d bytes of %d without an error", n, declared)
		}
	})
}
