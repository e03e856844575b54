// A Threds agent written in Go (SPEC §6): a Temporal activity named "handleMessage" on the task queue named by the
// agent's nodeType. It takes the Message JSON and returns the reply Event JSON (or null for no reply).
//
// This example answers every message with the request's content.values echoed back plus `agent: "go"`, and replies
// with an error event (content.error, code 5200 TASK_ERROR) when the request carries values.fail — permanent
// failures are replies, not thrown errors, so the thred sees them at once instead of after exhausted retries.
//
// Usage: go-agent -address 127.0.0.1:7233 -namespace default -node-type org.example.go [-node-id go-1]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// Event and Message mirror the JSON of SPEC §2/§3; unknown fields are kept in maps so nothing is lost.
type Event struct {
	ID      string         `json:"id"`
	Type    string         `json:"type"`
	ThredID string         `json:"thredId,omitempty"`
	Re      string         `json:"re,omitempty"`
	Source  map[string]any `json:"source"`
	Time    int64          `json:"time,omitempty"`
	Data    map[string]any `json:"data,omitempty"`
}

type Message struct {
	ID    string   `json:"id"`
	To    []string `json:"to"`
	Event Event    `json:"event"`
}

type agent struct{ nodeType, nodeID string }

func (a *agent) handleMessage(ctx context.Context, m Message) (*Event, error) {
	activity.GetLogger(ctx).Info("handleMessage", "messageId", m.ID, "thredId", m.Event.ThredID)
	values := map[string]any{}
	if content, ok := m.Event.Data["content"].(map[string]any); ok {
		if v, ok := content["values"].(map[string]any); ok {
			values = v
		}
	}
	reply := &Event{
		ID:      fmt.Sprintf("%s-%d", a.nodeID, time.Now().UnixNano()),
		Type:    a.nodeType,
		ThredID: m.Event.ThredID,
		Re:      m.Event.ID,
		Source:  map[string]any{"id": a.nodeID, "name": "Go agent"},
		Time:    time.Now().UnixMilli(),
	}
	if values["fail"] != nil {
		reply.Data = map[string]any{"title": a.nodeID + " Error", "content": map[string]any{
			"error": map[string]any{"code": 5200, "message": fmt.Sprint("asked to fail: ", values["fail"])}}}
		return reply, nil
	}
	out := map[string]any{"agent": "go"}
	for k, v := range values {
		out[k] = v
	}
	reply.Data = map[string]any{"title": a.nodeID + " Result", "content": map[string]any{"values": out}}
	return reply, nil
}

func main() {
	address := flag.String("address", envOr("TEMPORAL_ADDRESS", "localhost:7233"), "Temporal frontend host:port")
	namespace := flag.String("namespace", envOr("TEMPORAL_NAMESPACE", "default"), "Temporal namespace")
	nodeType := flag.String("node-type", "org.example.go", "agent nodeType (= task queue, reply type)")
	nodeID := flag.String("node-id", "", "agent nodeId (reply source.id); defaults to node-type")
	flag.Parse()
	if *nodeID == "" {
		*nodeID = *nodeType
	}
	c, err := client.Dial(client.Options{HostPort: *address, Namespace: *namespace})
	if err != nil {
		log.Fatalf("connect %s: %v", *address, err)
	}
	defer c.Close()
	w := worker.New(c, *nodeType, worker.Options{})
	a := &agent{nodeType: *nodeType, nodeID: *nodeID}
	w.RegisterActivityWithOptions(a.handleMessage, activity.RegisterOptions{Name: "handleMessage"})
	if err := w.Start(); err != nil {
		log.Fatalf("start worker: %v", err)
	}
	// A line the parent process can wait for before sending work.
	fmt.Printf("go-agent ready on task queue %s\n", *nodeType)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	w.Stop()
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}
