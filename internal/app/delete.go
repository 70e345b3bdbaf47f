package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cfsign/cfsign/aws"
	"github.com/dustin/go-humanize"
)

// Objects is what a delete needs of S3. *aws.Client satisfies it.
type Objects interface {
	Head(ctx context.Context, bucket, key string) (aws.ObjectInfo, error)
	Walk(ctx context.Context, bucket, prefix string, fn func([]aws.Entry) error) error
}

// Deletion is what a delete will touch, as the server was seen to hold it
// just before: named objects (looked at one by one), or everything under
// a prefix (listed). It is shown, or asked about, before anything goes.
type Deletion struct {
	Bucket string
	// Prefix is the folder (or, asked for, the raw prefix) whose every
	// object goes; "" for named objects.
	Prefix string
	// Keys are the named objects that exist, or the first few under Prefix.
	Keys []string
	// Count is how many objects go.
	Count int
	// Missing are named objects that are not there.
	Missing []string
}

// firstNames is how many names a question shows before "and N more".
const firstNames = 3

// FolderPrefix is the folder a user means by s3://bucket/pre: pre/, never
// every key that merely begins with "pre" (prefix.txt). "" is the bucket's
// top.
func FolderPrefix(key string) string {
	if key == "" || strings.HasSuffix(key, "/") {
		return key
	}
	return key + "/"
}

// PlanObjects looks at each named object (HEAD): the ones there go, the
// ones not there are Missing.
func PlanObjects(ctx context.Context, c Objects, bucket string, keys []string) (Deletion, error) {
	d := Deletion{Bucket: bucket}
	for _, k := range keys {
		if _, err := c.Head(ctx, bucket, k); err != nil {
			if aws.IsNotFound(err) {
				d.Missing = append(d.Missing, k)
				continue
			}
			return d, err
		}
		d.Keys = append(d.Keys, k)
	}
	d.Count = len(d.Keys)
	return d, nil
}

// PlanPrefix lists everything under prefix: how many objects, and the first
// names; each, when set, is given every key as the listing finds it.
func PlanPrefix(ctx context.Context, c Objects, bucket, prefix string, each func(key string)) (Deletion, error) {
	d := Deletion{Bucket: bucket, Prefix: prefix}
	err := c.Walk(ctx, bucket, prefix, func(page []aws.Entry) error {
		for _, e := range page {
			if each != nil {
				each(e.Key)
			}
			if len(d.Keys) < firstNames {
				d.Keys = append(d.Keys, e.Key)
			}
			d.Count++
		}
		return nil
	})
	return d, err
}

// IsFolder reports whether anything is stored under key/: the name of a
// folder given where an object was meant.
func IsFolder(ctx context.Context, c Objects, bucket, key string) bool {
	found := errors.New("found")
	err := c.Walk(ctx, bucket, FolderPrefix(key), func(page []aws.Entry) error {
		if len(page) > 0 {
			return found
		}
		return nil
	})
	return errors.Is(err, found)
}

// Question asks before d: what goes, by its first names and a count.
// "Delete 2 objects in s3://media/pre/: pre/a.txt, pre/b.txt?"
func (d Deletion) Question() string {
	where := "s3://" + d.Bucket + "/" + d.Prefix
	names := make([]string, 0, len(d.Keys))
	for _, k := range d.Keys[:min(len(d.Keys), firstNames)] {
		names = append(names, Escape(strings.TrimPrefix(k, d.Prefix)))
	}
	list := strings.Join(names, ", ")
	if more := d.Count - len(names); more > 0 {
		list += fmt.Sprintf(" and %s more", humanize.Comma(int64(more)))
	}
	what := Count(d.Count, "object")
	if d.Prefix != "" {
		return fmt.Sprintf("Delete %s under %s (%s)?", what, Escape(where), list)
	}
	return fmt.Sprintf("Delete %s in %s: %s?", what, Escape(where), list)
}

// CheckFolderName says what is wrong with the name of a new folder, or
// nil: each part between slashes must be something, and not . or ..,
// which no URL can carry (clients resolve them away), so nothing put in
// such a folder could ever be signed.
func CheckFolderName(name string) error {
	n := strings.Trim(name, "/")
	if n == "" {
		return errors.New("type a folder name")
	}
	for _, seg := range strings.Split(n, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%q has an empty part (//): name each folder", name)
		case ".", "..":
			return fmt.Errorf("%q has a %q part: no URL can carry it, so nothing in the folder could be signed", name, seg)
		}
	}
	return nil
}
